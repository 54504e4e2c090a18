/**
 * Runs the scenario corpus through one cordon runtime (shared bus, monitor, network cordon and
 * detector), a few scenarios at a time, and returns one result per scenario in corpus order.
 */
import { CordonRuntime } from '../runtime/index.js';
import { runScenario, type ScenarioResult } from './run-scenario.js';
import { loadScenarios } from './scenario.js';

export interface RunScenariosOptions {
  /** The corpus root holding `rogue/` and `benign/`. */
  dir: string;
  /** Scenario names to keep (`mining-stratum-3333` or `rogue/mining-stratum-3333`). */
  only?: readonly string[] | undefined;
  /** Scenarios running at once; default 2 (CPU-based rules need the cores they measure). */
  concurrency?: number | undefined;
  /** Reuse a runtime (tests); default: one started here with the network cordon and eBPF. */
  runtime?: CordonRuntime | undefined;
  timeoutMs?: number | undefined;
  /** Called as each scenario ends (progress output). */
  onResult?: ((result: ScenarioResult) => void) | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * @example const results = await runScenarios({ dir: 'test/scenarios', only: ['tunnel-ssh-443'] });
 */
export async function runScenarios(options: RunScenariosOptions): Promise<ScenarioResult[]> {
  const scenarios = loadScenarios(options.dir, options.only);
  const runtime =
    options.runtime ??
    (await CordonRuntime.start({
      network: 'auto',
      monitor: 'ebpf',
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    }));
  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < scenarios.length; i = next++) {
      const result = await runScenario(runtime, scenarios[i]!, {
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
      results[i] = result;
      options.onResult?.(result);
    }
  };
  try {
    const width = Math.max(1, Math.min(options.concurrency ?? 2, scenarios.length));
    await Promise.all(Array.from({ length: width }, worker));
  } finally {
    if (!options.runtime) await runtime.close();
  }
  return results;
}
