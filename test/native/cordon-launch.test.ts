/**
 * cordon-launch on the host: joins cgroups and a network namespace before exec, dies with its
 * parent, and fails setup with exit 125 and a prefixed message.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHelpers, hostPidsWith, isolated, sleepMs, waitGone } from './helpers.js';

let launch = '';
beforeAll(() => {
  launch = buildHelpers().launch;
});

function run(args: string[]) {
  const r = spawnSync(launch, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cordon-launch', () => {
  test('execs the program with its arguments', () => {
    expect(run(['--', 'sh', '-c', 'echo "$0 $1"', 'a', 'b'])).toMatchObject({
      code: 0,
      stdout: 'a b\n',
    });
    expect(run(['echo', 'no', 'separator'])).toMatchObject({ code: 0, stdout: 'no separator\n' });
  });

  test('setup failures exit 125 with a cordon-launch: message', () => {
    for (const args of [
      ['--netns', '/nonexistent/netns', '--', 'true'],
      ['--cgroup-procs', '/nonexistent/cgroup.procs', '--', 'true'],
      ['--', '/nonexistent/program'],
      ['--bogus', 'true'],
      [],
    ]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(125);
      expect(r.stderr).toMatch(/^cordon-launch: /);
    }
  });

  test('dies with its parent (PR_SET_PDEATHSIG)', async () => {
    const marker = `33.${process.pid}9`;
    // sh starts cordon-launch in the background and exits: the launched sleep must die with it.
    const sh = spawn('sh', ['-c', '"$0" -- sleep "$M" & sleep 0.3', launch], {
      stdio: 'ignore',
      env: { ...process.env, M: marker }, // not in sh's own argv, so only the sleep matches
    });
    await sleepMs(150);
    expect(hostPidsWith(marker).length).toBe(1);
    await new Promise((resolve) => sh.on('exit', resolve));
    expect(await waitGone(marker)).toEqual([]);
  });
});

const unified = existsSync('/sys/fs/cgroup/cgroup.controllers')
  ? '/sys/fs/cgroup'
  : existsSync('/sys/fs/cgroup/unified/cgroup.procs')
    ? '/sys/fs/cgroup/unified'
    : null;
const pidsV1 = existsSync('/sys/fs/cgroup/pids/cgroup.procs') ? '/sys/fs/cgroup/pids' : null;

describe.skipIf(process.getuid?.() !== 0 || !unified)(
  'cordon-launch --cgroup-procs (root, cgroups)',
  () => {
    const name = `cordon-launch-test-${randomUUID().slice(0, 8)}`;
    const dirs = [unified, pidsV1]
      .filter((d): d is string => d !== null)
      .map((d) => `${d}/${name}`);
    beforeAll(() => dirs.forEach((d) => mkdirSync(d)));
    afterAll(() => dirs.forEach((d) => rmdirSync(d)));

    test('writes itself into every cgroup.procs before exec', () => {
      const args = dirs.flatMap((d) => ['--cgroup-procs', `${d}/cgroup.procs`]);
      const r = run([...args, '--', 'cat', '/proc/self/cgroup']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^0::/${name}$`, 'm'));
      if (pidsV1) expect(r.stdout).toMatch(new RegExp(`:pids:/${name}$`, 'm'));
    });
  },
);

describe.skipIf(!isolated)(
  `cordon-launch --netns (${isolated ? 'isolated' : 'creates a netns: run under scripts/isolated.sh'})`,
  () => {
    const ns = `cordon-lt-${randomUUID().slice(0, 8)}`;
    beforeAll(() => execFileSync('ip', ['netns', 'add', ns]));
    afterAll(() => execFileSync('ip', ['netns', 'del', ns]));

    test('joins the named network namespace before exec', () => {
      const r = run(['--netns', `/run/netns/${ns}`, '--', 'readlink', '/proc/self/ns/net']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    });
  },
);
