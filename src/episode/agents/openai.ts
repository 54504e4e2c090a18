/**
 * The chat-completions agent: any OpenAI-compatible server (vLLM, Ollama, OpenAI) with tool
 * calling. Each tool call the model makes is one step; its output goes back as a `tool` message.
 * A reply without tool calls (finish_reason `stop`) ends the episode.
 */
import { CordonError } from '../../errors.js';
import { parseToolCall } from '../tools.js';
import type { Agent, AgentContext, Observation, ToolCall } from '../types.js';

export interface OpenAIAgentOptions {
  model: string;
  /** e.g. http://127.0.0.1:8000/v1 (the /chat/completions path is appended). */
  baseUrl: string;
  /** Sent as a bearer token when set. */
  apiKey?: string | undefined;
  temperature?: number | undefined;
  /** Per request; default 120000. */
  requestTimeoutMs?: number | undefined;
  /** Tool output sent back to the model is cut to this many characters; default 8000. */
  maxToolOutput?: number | undefined;
}

type Message =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface Completion {
  choices?: {
    message?: { content?: string | null; tool_calls?: WireToolCall[] };
    finish_reason?: string;
  }[];
}

const fn = (
  name: string,
  description: string,
  properties: Record<string, unknown>,
  required: string[],
) => ({
  type: 'function',
  function: {
    name,
    description,
    parameters: { type: 'object', properties, required, additionalProperties: false },
  },
});

/** The tools as the model sees them. */
export const TOOL_SPECS = [
  fn(
    'bash',
    'Run a bash command in /workspace; returns stdout and stderr.',
    { command: { type: 'string' } },
    ['command'],
  ),
  fn('read_file', 'Read a file.', { path: { type: 'string' } }, ['path']),
  fn(
    'write_file',
    'Write a file (parents are created).',
    { path: { type: 'string' }, content: { type: 'string' } },
    ['path', 'content'],
  ),
  fn('list_dir', 'List a directory.', { path: { type: 'string' } }, []),
  fn('done', 'Call when the task is finished.', { answer: { type: 'string' } }, []),
];

const SYSTEM_PROMPT =
  'You are an agent working in a Linux sandbox. Your working directory is /workspace. Use the tools to do the task, one step at a time, and call done when it is finished.';

export class OpenAIAgent implements Agent {
  readonly name: string;
  private readonly messages: Message[] = [];
  private readonly queue: WireToolCall[] = [];
  private awaiting: WireToolCall | undefined;

  constructor(private readonly options: OpenAIAgentOptions) {
    this.name = `openai:${options.model}`;
  }

  start(context: AgentContext): void {
    this.messages.length = 0;
    this.messages.push(
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: context.task.instruction },
    );
  }

  async next(observation: Observation): Promise<ToolCall> {
    if (this.messages.length === 0) {
      this.messages.push(
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: observation.instruction },
      );
    }
    if (this.awaiting) {
      this.messages.push({
        role: 'tool',
        tool_call_id: this.awaiting.id,
        content: this.toolContent(observation),
      });
      this.awaiting = undefined;
    }
    if (this.queue.length === 0) {
      const message = await this.complete();
      if (!message.tool_calls?.length) return { tool: 'done', args: {} };
      this.queue.push(...message.tool_calls);
    }
    const wire = this.queue.shift()!;
    this.awaiting = wire;
    let args: unknown;
    try {
      args = wire.function.arguments.trim() === '' ? {} : JSON.parse(wire.function.arguments);
    } catch (error) {
      throw new CordonError(
        'CORDON_E_AGENT',
        `the model sent arguments for ${wire.function.name} that are not JSON: ${(error as Error).message}`,
      );
    }
    return parseToolCall({ tool: wire.function.name, args }, `the model (${this.options.model})`);
  }

  private toolContent(o: Observation): string {
    const max = this.options.maxToolOutput ?? 8000;
    const out = o.output.length > max ? `${o.output.slice(0, max)}\n[cut]` : o.output;
    const status = o.killedByPolicy ? 'killed by policy' : `exit ${o.exitCode ?? 'none'}`;
    return `${out}\n[${status}]`;
  }

  private async complete(): Promise<{ content?: string | null; tool_calls?: WireToolCall[] }> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: this.options.model,
          messages: this.messages,
          tools: TOOL_SPECS,
          tool_choice: 'auto',
          ...(this.options.temperature === undefined
            ? {}
            : { temperature: this.options.temperature }),
        }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 120_000),
      });
    } catch (error) {
      throw new CordonError('CORDON_E_AGENT', `cannot reach ${url}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new CordonError(
        'CORDON_E_AGENT',
        `${url} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    let body: Completion;
    try {
      body = JSON.parse(text) as Completion;
    } catch {
      throw new CordonError('CORDON_E_AGENT', `${url} did not answer JSON: ${text.slice(0, 200)}`);
    }
    const message = body.choices?.[0]?.message;
    if (!message)
      throw new CordonError('CORDON_E_AGENT', `${url} answered without choices[0].message`);
    this.messages.push({
      role: 'assistant',
      content: message.content ?? null,
      ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
    });
    return message;
  }
}
