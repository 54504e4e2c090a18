/**
 * The JSON lines cordon-init writes on its events fd (ready, syscall_denied, exit), and
 * their tolerant parser.
 */
import { z } from 'zod';

const ReadyEventSchema = z.object({
  type: z.literal('ready'),
  /** `notify`: denials are reported; `errno`: denied without reports; `off`: no filter. */
  seccomp: z.enum(['notify', 'errno', 'off']),
  /** Why the filter is weaker than `notify`, when it is. */
  reason: z.string().optional(),
});
const SyscallDeniedEventSchema = z.object({
  type: z.literal('syscall_denied'),
  syscall: z.string(),
  nr: z.number().int(),
  /** Pid inside the sandbox's pid namespace. */
  pid: z.number().int(),
  /** null when the process was already gone or its exe unreadable. */
  exe: z.string().nullable(),
  /** At most 32 entries / 4 KiB. */
  argv: z.array(z.string()),
  ts: z.number(),
});
const ExitEventSchema = z.object({
  type: z.literal('exit'),
  pid: z.number().int(),
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  /** Other processes still alive in the sandbox when the command exited. */
  lingering: z.number().int(),
});

export const InitEventSchema = z.discriminatedUnion('type', [
  ReadyEventSchema,
  SyscallDeniedEventSchema,
  ExitEventSchema,
]);
export type InitEvent = z.infer<typeof InitEventSchema>;

/**
 * Parses one line from the events fd. Malformed or unknown lines give null; never throws.
 * @example
 *   parseInitEventLine('{"type":"ready","seccomp":"notify"}') // { type: 'ready', seccomp: 'notify' }
 */
export function parseInitEventLine(line: string): InitEvent | null {
  const text = line.trim();
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = InitEventSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
