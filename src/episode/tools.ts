/**
 * The five tools an agent may call and how each becomes one exec in the sandbox. Tool calls from
 * outside (a program, an LLM, the API) are validated here, once, with strict schemas.
 */
import { z } from 'zod';
import { CordonError } from '../errors.js';
import type { ToolCall } from './types.js';

const Path = z.string().min(1, 'must not be empty').max(4096);

const ArgsSchemas = {
  bash: z.strictObject({ command: z.string().min(1, 'must not be empty').max(1_000_000) }),
  read_file: z.strictObject({ path: Path }),
  write_file: z.strictObject({ path: Path, content: z.string().max(16 * 1024 * 1024) }),
  list_dir: z.strictObject({ path: Path.optional() }),
  done: z.strictObject({ answer: z.string().optional() }),
} as const;

export const ToolCallSchema = z.strictObject({
  tool: z.enum(['bash', 'read_file', 'write_file', 'list_dir', 'done']),
  args: z.record(z.string(), z.unknown()).default({}),
});

/**
 * Validates a tool call from an untrusted source; the error names the problem for the agent's author.
 * @example parseToolCall({ tool: 'bash', args: { command: 'ls' } })
 */
export function parseToolCall(value: unknown, source = 'agent'): ToolCall {
  const outer = ToolCallSchema.safeParse(value);
  if (!outer.success) {
    throw new CordonError(
      'CORDON_E_AGENT',
      `${source} sent an invalid tool call: ${problems(outer.error)}`,
    );
  }
  const { tool, args } = outer.data;
  const inner = ArgsSchemas[tool].safeParse(args);
  if (!inner.success) {
    throw new CordonError(
      'CORDON_E_AGENT',
      `${source} sent invalid args for ${tool}: ${problems(inner.error, 'args')}`,
    );
  }
  return { tool, args: inner.data };
}

function problems(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map(
      (i) =>
        `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)'}: ${i.message}`,
    )
    .join('; ');
}

export interface ToolExec {
  argv: string[];
  stdin?: string | undefined;
}

/** The exec that carries out a tool call (paths resolve inside the sandbox, cwd /workspace). */
/** A tool argument as text (validated calls only carry strings). */
const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : fallback;

export function toolExec(call: ToolCall): ToolExec {
  const arg = (name: string) => str(call.args[name]);
  switch (call.tool) {
    case 'bash':
      return { argv: ['bash', '-c', arg('command')] };
    case 'read_file':
      return { argv: ['cat', '--', arg('path')] };
    case 'write_file':
      return {
        argv: [
          'sh',
          '-c',
          'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"',
          'write_file',
          arg('path'),
        ],
        stdin: arg('content'),
      };
    case 'list_dir':
      return {
        argv: ['ls', '-la', '--', typeof call.args.path === 'string' ? call.args.path : '.'],
      };
    case 'done':
      return { argv: [] };
  }
}

/** A one-line description of a tool call for people (timelines, progress). */
export function describeToolCall(call: Pick<ToolCall, 'tool' | 'args'>, max = 100): string {
  const text =
    call.tool === 'bash'
      ? str(call.args.command)
      : call.tool === 'write_file'
        ? `${str(call.args.path)} (${str(call.args.content).length} bytes)`
        : call.tool === 'done'
          ? ''
          : str(call.args.path, '.');
  const flat = text.replace(/\s+/g, ' ').trim();
  return `${call.tool}${flat ? ` ${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}` : ''}`;
}

/** Caps text to `max` bytes' worth of characters, saying how much was cut. */
export function capText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  return {
    text: `${text.slice(0, max)}\n[... ${text.length - max} more characters cut by cordon]`,
    truncated: true,
  };
}
