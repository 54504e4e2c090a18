/** The left column: episodes and their sandboxes, each with status, verdict and counts. */
import { h } from './dom.js';
import { formatAge, verdictOf } from './format.js';
import type { DashboardModel, SandboxEntry } from './model.js';
import type { Actions, UiState } from './ui-state.js';
import { statusDot, verdictBadge } from './view-badges.js';

function sandboxRow(sb: SandboxEntry, ui: UiState, actions: Actions, now: number): HTMLElement {
  const steps = Math.max(sb.execCount, sb.steps.length);
  const meta = [
    `${steps} step${steps === 1 ? '' : 's'}`,
    sb.findings.length > 0
      ? `${sb.findings.length} finding${sb.findings.length === 1 ? '' : 's'}`
      : '',
    sb.status === 'ended' ? `ended ${sb.endReason ?? ''}`.trim() : formatAge(sb.startedAt, now),
  ].filter(Boolean);
  const labels = Object.entries(sb.labels).filter(([k]) => k !== 'episodeId');
  return h(
    'li',
    {
      class: `sandbox${ui.selectedSandbox === sb.id ? ' selected' : ''} ${sb.status}`,
      data: { testid: 'sandbox-row', sandboxId: sb.id, verdict: verdictOf(sb.findings) },
      onClick: () => actions.selectSandbox(sb.id),
    },
    h(
      'div',
      { class: 'row-main' },
      statusDot(sb.status),
      h('span', { class: 'mono sandbox-id' }, sb.id),
      verdictBadge(verdictOf(sb.findings)),
    ),
    h('div', { class: 'row-meta' }, meta.join(' · ')),
    labels.length > 0
      ? h(
          'div',
          { class: 'labels' },
          labels.slice(0, 4).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`)),
        )
      : null,
  );
}

export function renderSidebar(model: DashboardModel, ui: UiState, actions: Actions): HTMLElement[] {
  const now = Date.now();
  const groups = model.episodes();
  if (groups.length === 0) {
    return [
      h(
        'p',
        { class: 'empty' },
        'No sandboxes yet. Create one through the API (POST /v1/sandboxes) and it appears here.',
      ),
    ];
  }
  return groups.map((g) =>
    h(
      'section',
      { class: 'episode', data: { testid: 'episode', episode: g.episodeId } },
      h(
        'h3',
        null,
        h('span', { class: 'episode-name' }, g.label),
        h(
          'span',
          { class: 'muted' },
          `${g.sandboxes.length} sandbox${g.sandboxes.length === 1 ? '' : 'es'}`,
        ),
        verdictBadge(g.verdict),
      ),
      h(
        'ul',
        null,
        g.sandboxes.map((sb) => sandboxRow(sb, ui, actions, now)),
      ),
    ),
  );
}
