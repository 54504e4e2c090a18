/** `cordon demo isolation`: what cordon stops, shown on this machine in a few seconds. */
import { runIsolationProbes } from '../../demo/isolation.js';
import { CordonRuntime } from '../../runtime/index.js';
import { paint } from '../output.js';

/** Runs each isolation probe in its own sandbox; exits 1 if one was not blocked. */
export async function demoIsolationAction(): Promise<void> {
  const runtime = await CordonRuntime.start({
    onWarning: (m) => process.stderr.write(paint.dim(`cordon: ${m}\n`)),
  });
  try {
    process.stdout.write(
      paint.bold(
        'cordon: a rogue agent tries to break out. Each attempt runs in its own sandbox.\n\n',
      ),
    );
    const outcomes = await runIsolationProbes(runtime);
    const width = Math.max(...outcomes.map((o) => o.probe.length));
    for (const o of outcomes) {
      const mark = o.blocked ? paint.green('BLOCKED') : paint.red('NOT BLOCKED');
      process.stdout.write(
        `  ${o.probe.padEnd(width)}  ${mark}  ${paint.dim(o.reported || 'not reported')}\n`,
      );
    }
    const failed = outcomes.filter((o) => !o.blocked);
    process.stdout.write(
      `\n${failed.length === 0 ? paint.green(`all ${outcomes.length} attempts blocked`) : paint.red(`${failed.length} attempt(s) not blocked`)}\n`,
    );
    process.exitCode = failed.length === 0 ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
