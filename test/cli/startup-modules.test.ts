/**
 * What the CLI loads, from its sources in a child process that logs every module (ESM and
 * CommonJS) it loads: `--version` and help load commander and the command definitions only; a
 * plain `cordon run` loads none of the server, episodes, eval, audit store, network cordon or
 * monitor, nor the packages behind them. Module loading is most of the CLI's start-up time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTER = fileURLToPath(new URL('./module-log/register.mjs', import.meta.url));
const IS_ROOT = process.getuid?.() === 0;

const logDir = mkdtempSync(join(tmpdir(), 'cordon-cli-modules-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

interface Loaded {
  status: number | null;
  stdout: string;
  /** npm packages, by name (`zod`, `@hono/node-server`). */
  packages: Set<string>;
  /** cordon's own modules, relative to src/ (`cli/main.ts`). */
  sources: Set<string>;
}

let runs = 0;
function cordon(args: string[]): Loaded {
  const log = join(logDir, `${(runs += 1)}.log`);
  const r = spawnSync(process.execPath, ['--import', REGISTER, 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CORDON_MODULE_LOG: log, NO_COLOR: '1' },
    timeout: 60_000,
  });
  const packages = new Set<string>();
  const sources = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    const nm = path.lastIndexOf('/node_modules/');
    if (nm >= 0) {
      const parts = path.slice(nm + '/node_modules/'.length).split('/');
      packages.add(parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    } else if (path.startsWith(join(ROOT, 'src') + '/')) {
      sources.add(path.slice(join(ROOT, 'src').length + 1));
    }
  }
  return { status: r.status, stdout: r.stdout, packages, sources };
}

const HEAVY_PACKAGES = ['zod', 'yaml', 'hono', '@hono/node-server', 'pino', 'better-sqlite3'];

describe('cordon --version and help load no library module', () => {
  for (const args of [['--version'], ['--help'], ['run', '--help'], ['serve', '--help']]) {
    test(`cordon ${args.join(' ')}: commander and the command definitions only`, () => {
      const loaded = cordon(args);
      expect(loaded.status).toBe(0);
      expect(loaded.stdout.length).toBeGreaterThan(0);
      // The log works: the entry point and commander are in it.
      expect(loaded.sources).toContain('cli/main.ts');
      expect([...loaded.packages]).toEqual(['commander']);
      const outsideCli = [...loaded.sources].filter(
        (s) => !(s.startsWith('cli/') && !s.startsWith('cli/actions/')) && s !== 'errors.ts',
      );
      expect(outsideCli).toEqual([]);
      for (const name of HEAVY_PACKAGES) expect(loaded.packages).not.toContain(name);
    });
  }
});

describe('a plain cordon run loads only what the run uses', () => {
  test.skipIf(!IS_ROOT)(
    'run -q --no-audit --network loopback --monitor off -- true: no server, episodes, eval, audit, net, monitor, yaml (skipped unless root: sandboxes need cgroups)',
    () => {
      const loaded = cordon([
        'run',
        '-q',
        '--no-audit',
        '--network',
        'loopback',
        '--monitor',
        'off',
        '--',
        'true',
      ]);
      expect(loaded.status).toBe(0);
      // The run itself was loaded and ran: the sandbox layer and its policy schema are there.
      expect(loaded.sources).toContain('cli/actions/run.ts');
      expect(loaded.sources).toContain('sandbox/index.ts');
      expect(loaded.packages).toContain('zod');
      for (const name of ['yaml', 'hono', '@hono/node-server', 'pino', 'better-sqlite3'])
        expect(loaded.packages).not.toContain(name);
      const unused = [...loaded.sources].filter((s) =>
        /^(server|episode|eval|demo|audit|net|monitor|client|ui)\//.test(s),
      );
      expect(unused).toEqual([]);
      const otherActions = [...loaded.sources].filter(
        (s) => s.startsWith('cli/actions/') && s !== 'cli/actions/run.ts',
      );
      expect(otherActions).toEqual([]);
    },
  );
});
