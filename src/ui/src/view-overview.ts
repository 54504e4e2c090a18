/** The main pane with no sandbox chosen: every finding, newest first, one sentence each. */
import { h } from './dom.js';
import { findingHeadline } from './describe.js';
import { formatAge } from './format.js';
import type { DashboardModel } from './model.js';
import type { Finding } from './types.js';
import type { Actions, UiState } from './ui-state.js';
import { categoryChip, severityBadge } from './view-badges.js';

export function findingRow(
  f: Finding,
  headline: string,
  ui: UiState,
  actions: Actions,
  now: number,
): HTMLElement {
  return h(
    'li',
    {
      class: `finding-row sev-border-${f.severity}${ui.selectedFinding === f.id ? ' selected' : ''}`,
      data: { testid: 'finding', rule: f.rule, category: f.category, severity: f.severity },
      onClick: (e) => {
        e.stopPropagation();
        actions.openFinding(f.id, f.sandboxId);
      },
    },
    severityBadge(f.severity),
    h('span', { class: 'headline' }, headline),
    h(
      'span',
      { class: 'finding-meta' },
      categoryChip(f.category),
      h('span', { class: 'mono muted' }, f.rule),
      h('span', { class: 'muted' }, formatAge(f.ts, now)),
    ),
  );
}

export function renderOverview(model: DashboardModel, ui: UiState, actions: Actions): HTMLElement {
  const now = Date.now();
  const findings = model.findings(ui.filter);
  const filtered = ui.filter.category !== '' || ui.filter.minSeverity !== 'info';
  return h(
    'div',
    { class: 'overview' },
    h('h2', null, 'Findings', h('span', { class: 'muted' }, ` ${findings.length}`)),
    findings.length === 0
      ? h(
          'p',
          { class: 'empty' },
          filtered
            ? 'No finding matches these filters.'
            : 'Nothing rogue seen so far. Findings appear here the moment a rule fires.',
        )
      : h(
          'ul',
          { class: 'findings', data: { testid: 'findings' } },
          findings.map((f) =>
            findingRow(
              f,
              findingHeadline(f, model.stepOrdinal(f.sandboxId, f.stepId)),
              ui,
              actions,
              now,
            ),
          ),
        ),
  );
}
