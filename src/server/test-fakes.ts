/**
 * Test doubles for the API: a LaunchFn whose "sandbox" runs commands as plain host processes in the
 * workspace (no isolation: tests only) and reports a denied `mount` as the real one would, so
 * handlers and clients are tested without bubblewrap.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../events/index.js';
import type { LaunchFn, LiveExecResult, LiveSandbox } from './manager.js';

export interface FakeLaunchRecord {
  ids: string[];
  destroyed: string[];
}

function publishDeniedMount(
  bus: EventBus,
  sandboxId: string,
  episodeId: string | undefined,
  stepId: string | undefined,
  withFinding: boolean,
): void {
  const attribution = { sandboxId, episodeId, stepId };
  const syscall = bus.publish({
    kind: 'syscall',
    ...attribution,
    pid: 4242,
    exe: '/usr/bin/mount',
    syscall: 'mount',
    denied: true,
  });
  // Without a detector (handler tests) the fake raises the finding the real detector would.
  if (!withFinding) return;
  bus.publish({
    kind: 'finding',
    ...attribution,
    finding: {
      id: randomUUID(),
      rule: 'escape.mount-syscall',
      category: 'escape',
      severity: 'high',
      attack: ['T1611'],
      reason: 'mount(2) inside the sandbox',
      action: 'alert',
      ts: Date.now(),
      ...attribution,
      pid: 4242,
      exe: '/usr/bin/mount',
      evidence: { syscall: 'mount' },
      eventIds: [syscall.id],
    },
  });
}

export function fakeLaunch(
  record: FakeLaunchRecord = { ids: [], destroyed: [] },
  options: { withFindings?: boolean } = {},
): LaunchFn {
  const withFindings = options.withFindings ?? true;
  return ({ id, workspace, bus, episodeId }) => {
    record.ids.push(id);
    bus.publish({ kind: 'sandbox.start', sandboxId: id, episodeId });
    const live: LiveSandbox = {
      exec(argv, options) {
        bus.publish({ kind: 'step.start', sandboxId: id, episodeId, stepId: options.stepId });
        if (argv.join(' ').includes('mount'))
          publishDeniedMount(bus, id, episodeId, options.stepId, withFindings);
        return new Promise<LiveExecResult>((resolve) => {
          const child = spawn(argv[0] ?? 'true', argv.slice(1), {
            cwd: workspace,
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
          });
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          child.stdout.on('data', (b: Buffer) => out.push(b));
          child.stderr.on('data', (b: Buffer) => err.push(b));
          child.stdin.on('error', () => {}); // the command may exit without reading stdin
          child.stdin.end(options.stdin ?? Buffer.alloc(0));
          child.on('error', () =>
            resolve({
              exitCode: 127,
              signal: null,
              stdout: '',
              stderr: 'not found',
              timedOut: false,
              killedByPolicy: false,
            }),
          );
          child.on('close', (code, signal) => {
            bus.publish({ kind: 'step.end', sandboxId: id, episodeId, stepId: options.stepId });
            resolve({
              exitCode: code,
              signal,
              stdout: Buffer.concat(out),
              stderr: Buffer.concat(err),
              timedOut: false,
              killedByPolicy: false,
            });
          });
        });
      },
      destroy() {
        record.destroyed.push(id);
        bus.publish({ kind: 'sandbox.end', sandboxId: id, episodeId });
        return Promise.resolve();
      },
    };
    return Promise.resolve(live);
  };
}
