/**
 * The hooks other layers plug into a sandbox: a monitor registered before the command starts
 * (and unregistered after), and a network attachment whose netns, env and resolv.conf are used.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runSandboxed, type WatchTarget } from '../../src/sandbox/index.js';

describe('sandbox hooks', () => {
  test('the monitor watches before the command starts and is released after', async () => {
    const log: string[] = [];
    let target: WatchTarget | undefined;
    const monitor = {
      watch: async (t: WatchTarget) => {
        target = t;
        log.push(`watch pids=${t.hostPids().length}`);
        await new Promise((r) => setTimeout(r, 50));
        return () => log.push('unwatch');
      },
    };
    const r = await runSandboxed(['true'], {
      capture: true,
      monitor,
      episodeId: 'ep',
      labels: { task: 't1' },
    });
    expect(log).toEqual(['watch pids=0', 'unwatch']);
    expect(target).toMatchObject({
      sandboxId: r.sandboxId,
      episodeId: 'ep',
      labels: { task: 't1' },
    });
    expect(target?.cgroupV2Id).toBeGreaterThan(0);
    expect(target?.cgroupPaths.length).toBeGreaterThan(0);
  });

  test.skipIf(process.env.CORDON_ISOLATED !== '1')(
    'a network attachment joins its netns and brings its env and resolv.conf (needs scripts/isolated.sh)',
    async () => {
      const name = `cordon-test-${process.pid}`;
      const dir = mkdtempSync(join(tmpdir(), 'cordon-hooks-test-'));
      const resolvConf = join(dir, 'resolv.conf');
      writeFileSync(resolvConf, 'nameserver 198.18.0.53\n');
      execFileSync('ip', ['netns', 'add', name]);
      try {
        execFileSync('ip', [
          '-n',
          name,
          'link',
          'add',
          'cordontest0',
          'type',
          'veth',
          'peer',
          'name',
          'cordontest1',
        ]);
        const r = await runSandboxed(
          [
            'sh',
            '-c',
            'cat /etc/resolv.conf; ls /sys/class/net 2>/dev/null; cat /proc/net/dev | cut -d: -f1 | tr -d " " | tail -n +3 | sort | tr "\\n" " "; echo; echo $HTTP_PROXY',
          ],
          {
            capture: true,
            network: {
              netnsPath: `/run/netns/${name}`,
              env: { HTTP_PROXY: 'http://198.19.0.1:3128' },
              resolvConfPath: resolvConf,
            },
          },
        );
        expect(r.stdout).toBe(
          'nameserver 198.18.0.53\ncordontest0 cordontest1 lo \nhttp://198.19.0.1:3128\n',
        );
      } finally {
        execFileSync('ip', ['netns', 'delete', name]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
