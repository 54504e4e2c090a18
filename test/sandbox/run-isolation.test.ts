/**
 * One-shot isolation, asserted by effect: secrets unreadable, nothing writable outside the
 * workspace, host processes/IPC/env/GPU nodes invisible, and nothing left behind.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  statSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resolvePolicy } from '../../src/policy/index.js';
import { runSandboxed } from '../../src/sandbox/index.js';
import { leftovers, NOTHING_LEFT } from './helpers.js';

// Under /var/tmp, not /tmp: host /tmp is invisible in a sandbox anyway, which would prove nothing.
// Searchable by others, so the sandbox's unprivileged uid could reach it were it not for denyRead.
const scratch = mkdtempSync('/var/tmp/cordon-isolation-test-');
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sh = (script: string) => ['sh', '-c', script];

describe('runSandboxed isolation', () => {
  test('runs a command, passes its exit status and output through, and leaves nothing behind', async () => {
    const r = await runSandboxed(sh('echo out; echo err >&2; id -u; pwd; echo $HOME; exit 7'), {
      capture: true,
    });
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBeNull();
    expect(r.stdout).toBe('out\n1000\n/workspace\n/workspace\n');
    expect(r.stderr).toBe('err\n');
    expect(r.seccomp).toBe('notify');
    expect(existsSync(r.workspace)).toBe(false);
    expect(leftovers(r.sandboxId)).toEqual(NOTHING_LEFT);
  });

  test('a denied path (~/.ssh/id_rsa of a temp HOME, /etc/shadow) cannot be read', async () => {
    const home = join(scratch, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_rsa'), 'PRIVATE-KEY-MATERIAL');
    writeFileSync(join(home, '.aws-like-file'), 'visible');
    const script = `cat ${home}/.ssh/id_rsa; ls -A ${home}/.ssh; cat /etc/shadow /etc/shadow-; cat ${home}/.aws-like-file`;
    const r = await runSandboxed(sh(script), { capture: true, home });
    expect(r.stdout).not.toContain('PRIVATE-KEY');
    expect(r.stdout).not.toContain('root:');
    expect(r.stdout).toBe('visible');
    expect(r.stderr).toMatch(/id_rsa: No such file/);
    expect(r.stderr).toMatch(/shadow: Permission denied/);
    expect(r.stderr).toMatch(/shadow-: (Permission denied|No such file)/);
  });

  test('nothing outside the workspace can be written; the workspace can', async () => {
    const workspace = join(scratch, 'ws');
    mkdirSync(workspace);
    const targets = [
      '/etc/cordon-x',
      '/usr/cordon-x',
      '/cordon-x',
      `${scratch}/cordon-x`,
      '/var/tmp/cordon-x',
    ];
    const script = [
      ...targets.map((t) => `echo x > ${t} 2>/dev/null && echo WROTE ${t}`),
      'echo ok > /workspace/ok',
      'echo done',
    ].join('; ');
    const r = await runSandboxed(sh(script), { capture: true, workspace });
    expect(r.stdout).toBe('done\n');
    for (const t of targets) expect(existsSync(t)).toBe(false);
    expect(readFileSync(join(workspace, 'ok'), 'utf8')).toBe('ok\n');
    expect(existsSync(workspace)).toBe(true); // a given workspace is never removed
  });

  test('host processes are invisible: only the sandbox pids show in /proc', async () => {
    const r = await runSandboxed(sh('ps -e -o pid=,comm='), { capture: true });
    const rows = r
      .stdout!.trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((row) => row[1]).sort()).toEqual(['init', 'ps', 'sh']);
    expect(rows.map((row) => Number(row[0]))).not.toContain(process.pid);
  });

  test('host SysV IPC is invisible', async () => {
    const out = execFileSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' });
    const shmid = /(\d+)\s*$/.exec(out.trim())?.[1];
    expect(shmid).toBeDefined();
    try {
      expect(execFileSync('ipcs', ['-m'], { encoding: 'utf8' })).toContain(shmid);
      const r = await runSandboxed(['sh', '-c', 'ipcs -m | grep -E "^0x" | wc -l'], {
        capture: true,
      });
      expect(r.stdout!.trim()).toBe('0');
    } finally {
      execFileSync('ipcrm', ['-m', shmid!]);
    }
  });

  test('a host secret in the environment does not reach the sandbox', async () => {
    const hostEnv = {
      ...process.env,
      CORDON_TEST_SECRET: 'sk-live-123456',
      AWS_SECRET_ACCESS_KEY: 'aws-xyz',
    };
    const policy = resolvePolicy({ env: { set: { GREETING: 'hello' } } });
    const r = await runSandboxed(['env'], { capture: true, hostEnv, policy });
    expect(r.stdout).not.toContain('sk-live-123456');
    expect(r.stdout).not.toContain('aws-xyz');
    expect(r.stdout).toContain('GREETING=hello');
    expect(r.stdout).toContain('HOME=/workspace');
  });

  test('no GPU node nor /dev/net/tun is visible without the grant', async () => {
    const nodes = ['/dev/dri', '/dev/nvidia0', '/dev/nvidiactl', '/dev/kfd', '/dev/net/tun'];
    const r = await runSandboxed(
      sh(
        nodes.map((n) => `test -e ${n} && echo PRESENT ${n}`).join('; ') +
          '; ls /dev | tr "\\n" " "',
      ),
      { capture: true },
    );
    expect(r.stdout).not.toContain('PRESENT');
    expect(r.stdout).not.toMatch(/nvidia|dri|kfd/);
  });

  test('/sys is reduced to cpu topology and /tmp is private and size-limited', async () => {
    const policy = resolvePolicy({ resources: { tmpMB: 8 } });
    const r = await runSandboxed(
      sh(
        'ls /sys /sys/devices/system; test -e /sys/fs/cgroup || echo no-cgroupfs; df -k /tmp | tail -1',
      ),
      { capture: true, policy },
    );
    expect(r.stdout).toMatch(/^\/sys:\ndevices\n\n/);
    expect(r.stdout).toContain('cpu');
    expect(r.stdout).toContain('no-cgroupfs');
    expect(r.stdout).toMatch(/tmpfs\s+8192\s/);
  });
});

describe('the sandbox runs as an unprivileged host uid', () => {
  test('a root-only file that no policy hides stays unreadable, and a workspace under a 0700 directory still works', async () => {
    const privateDir = mkdtempSync('/var/tmp/cordon-private-');
    try {
      const secret = join(privateDir, 'token');
      writeFileSync(secret, 'ROOT-ONLY-TOKEN', { mode: 0o600 });
      chmodSync(privateDir, 0o755);
      const workspace = join(privateDir, 'inner', 'ws');
      mkdirSync(workspace, { recursive: true });
      chmodSync(join(privateDir, 'inner'), 0o700);
      writeFileSync(join(workspace, 'input.txt'), 'task data');
      const r = await runSandboxed(sh(`cat ${secret}; cat input.txt; echo done > out.txt`), {
        capture: true,
        workspace,
      });
      expect(r.stdout).not.toContain('ROOT-ONLY-TOKEN');
      expect(r.stderr).toMatch(/token: Permission denied/);
      expect(r.stdout).toContain('task data');
      // Written by the sandbox, handed back to the workspace's owner afterwards.
      expect(readFileSync(join(workspace, 'out.txt'), 'utf8')).toBe('done\n');
      expect(statSync(join(workspace, 'out.txt')).uid).toBe(process.getuid?.());
    } finally {
      rmSync(privateDir, { recursive: true, force: true });
    }
  });
});
