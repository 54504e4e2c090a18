/**
 * The command agent: any program speaking cordon's JSON-lines protocol on stdio (docs/episodes.md).
 * cordon writes one observation per line to its stdin; it answers each with one tool call per line
 * on stdout. Malformed output, an early exit or silence ends the episode with a clear error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CordonError } from '../../errors.js';
import { parseToolCall } from '../tools.js';
import type { Agent, Observation, ToolCall } from '../types.js';

export interface CommandAgentOptions {
  /** argv of the agent program (run on the host, outside the sandbox: it only thinks). */
  argv: readonly string[];
  /** How long to wait for each answer; default 120000. */
  replyTimeoutMs?: number | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  /** Where the program's stderr goes; default: kept (its tail is quoted in errors). */
  onStderr?: ((chunk: string) => void) | undefined;
  name?: string | undefined;
}

const STDERR_TAIL = 2000;
const SNIPPET = 120;

type Waiter = { resolve: (line: string) => void; reject: (error: Error) => void };

export class CommandAgent implements Agent {
  readonly name: string;
  private child: ChildProcess | undefined;
  private readonly lines: string[] = [];
  private waiter: Waiter | undefined;
  private exited: string | undefined;
  private stderr = '';
  private lineNo = 0;

  constructor(private readonly options: CommandAgentOptions) {
    if (options.argv.length === 0)
      throw new CordonError('CORDON_E_USAGE', 'The command agent needs a command');
    this.name = options.name ?? `command:${options.argv.join(' ').slice(0, 60)}`;
  }

  start(): void {
    const [file, ...args] = this.options.argv as [string, ...string[]];
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.options.env },
      cwd: this.options.cwd,
    });
    this.child = child;
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
      this.options.onStderr?.(chunk);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.trim() === '') return;
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w.resolve(line);
      else this.lines.push(line);
    });
    const onGone = (why: string) => {
      this.exited ??= why;
      const w = this.waiter;
      this.waiter = undefined;
      // stdout may still hold a last line: give readline a tick first.
      if (w)
        setImmediate(() =>
          this.lines.length ? w.resolve(this.lines.shift()!) : w.reject(this.gone()),
        );
    };
    child.once('error', (error) => onGone(`could not start: ${error.message}`));
    child.once('exit', (code, signal) =>
      onGone(signal ? `was killed by ${signal}` : `exited with ${code}`),
    );
  }

  private gone(): CordonError {
    const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return new CordonError(
      'CORDON_E_AGENT',
      `the agent program ${this.exited ?? 'ended'} before answering${tail ? ` (stderr: ${tail})` : ''}`,
    );
  }

  private readLine(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(this.gone());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new CordonError(
            'CORDON_E_AGENT',
            `the agent program did not answer within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.waiter = {
        resolve: (line) => (clearTimeout(timer), resolve(line)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
    });
  }

  async next(observation: Observation): Promise<ToolCall> {
    if (!this.child) this.start();
    this.child?.stdin?.write(`${JSON.stringify(observation)}\n`);
    const line = await this.readLine(this.options.replyTimeoutMs ?? 120_000);
    this.lineNo += 1;
    const where = `the agent program (output line ${this.lineNo})`;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (error) {
      const snippet = line.length > SNIPPET ? `${line.slice(0, SNIPPET)}…` : line;
      throw new CordonError(
        'CORDON_E_AGENT',
        `${where} is not JSON: ${JSON.stringify(snippet)} (${(error as Error).message}); expected {"type":"tool_call","tool":...,"args":{...}}`,
      );
    }
    if (
      typeof message !== 'object' ||
      message === null ||
      (message as { type?: unknown }).type !== 'tool_call'
    ) {
      throw new CordonError('CORDON_E_AGENT', `${where} is not a message of type "tool_call"`);
    }
    const { type: _type, ...call } = message as Record<string, unknown>;
    return parseToolCall(call, where);
  }

  /** Closes stdin (the agent's cue to exit), then ends the program if it lingers. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 2000);
    const hard = setTimeout(() => child.kill('SIGKILL'), 4000);
    await exited;
    clearTimeout(timer);
    clearTimeout(hard);
  }
}
