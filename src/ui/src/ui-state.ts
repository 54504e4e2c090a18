/** What the person has chosen on screen, and the actions views may take. */
import type { StreamState } from './api.js';
import type { FindingFilter } from './model.js';

export interface UiState {
  selectedSandbox?: string | undefined;
  selectedFinding?: string | undefined;
  filter: FindingFilter;
  /** Steps whose every row is shown (others show their most recent rows). */
  expandedSteps: Set<string>;
  /** Hide steps that raised no finding (passing the filter). */
  onlyFlaggedSteps: boolean;
  connection: StreamState;
}

export interface Actions {
  selectSandbox(id: string | undefined): void;
  openFinding(findingId: string, sandboxId: string): void;
  closeFinding(): void;
  setFilter(patch: Partial<FindingFilter>): void;
  setOnlyFlaggedSteps(on: boolean): void;
  toggleStep(key: string): void;
}
