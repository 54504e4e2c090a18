/** Evaluation: runs the detection scenario corpus (test/scenarios/) and tallies a confusion table. */
export {
  loadScenarios,
  parseScenario,
  type Expectation,
  type Scenario,
  type ScenarioKind,
} from './scenario.js';
export {
  judge,
  runScenario,
  SCENARIO_TIMEOUT_MS,
  type FindingSummary,
  type Outcome,
  type ScenarioResult,
} from './run-scenario.js';
export { runScenarios, type RunScenariosOptions } from './runner.js';
export {
  formatResultLine,
  formatSummary,
  summarizeResults,
  type ConfusionRow,
  type EvalSummary,
} from './table.js';
