/**
 * The main pane for one sandbox: who it is, its verdict and live usage, then its timeline grouped
 * by step, each step headed by what it ran and the worst thing it did.
 */
import { h } from './dom.js';
import { describeEvent, findingHeadline, stepOutcome } from './describe.js';
import {
  clip,
  commandLine,
  episodeLabel,
  formatBytes,
  formatClock,
  severityRank,
  stepLabel,
  verdictOf,
} from './format.js';
import { findingPasses, type SandboxEntry } from './model.js';
import type { StepGroup, SandboxTimeline } from './timeline.js';
import type { Finding } from './types.js';
import type { Actions, UiState } from './ui-state.js';
import { statusDot, verdictBadge } from './view-badges.js';
import { findingRow } from './view-overview.js';

const ROWS_SHOWN = 60;

function worst(findings: Finding[]): Finding | undefined {
  return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity))[0];
}

function sandboxHeader(sb: SandboxEntry | undefined, tl: SandboxTimeline): HTMLElement {
  const sample = tl.lastSample;
  const findings = sb?.findings ?? [];
  return h(
    'div',
    { class: 'sandbox-head' },
    h(
      'h2',
      null,
      statusDot(sb?.status ?? 'running'),
      h('span', { class: 'mono' }, tl.sandboxId),
      verdictBadge(verdictOf(findings)),
    ),
    h(
      'div',
      { class: 'facts' },
      h('span', null, episodeLabel(sb?.episodeId)),
      sb ? h('span', null, `started ${formatClock(sb.startedAt)}`) : null,
      sb?.status === 'ended'
        ? h('span', null, `ended${sb.endReason ? `: ${sb.endReason}` : ''}`)
        : h('span', null, 'running'),
      sample && sb?.status !== 'ended'
        ? h(
            'span',
            { class: 'usage' },
            `${sample.cpuCores.toFixed(2)} cores · ${formatBytes(sample.memoryBytes)} · ${sample.pids} processes`,
          )
        : null,
    ),
  );
}

function stepCard(
  g: StepGroup,
  ordinal: number | undefined,
  tl: SandboxTimeline,
  ui: UiState,
  actions: Actions,
): HTMLElement {
  const shown = g.findings.filter((f) => findingPasses(f, ui.filter));
  const top = worst(shown);
  const expanded = ui.expandedSteps.has(g.key);
  const rows = expanded ? g.rows : g.rows.slice(-ROWS_SHOWN);
  const hidden = g.rows.length - rows.length;
  const title = g.key === '' ? 'outside any step' : stepLabel(g.stepId, ordinal);
  return h(
    'section',
    {
      class: `step${top ? ` flagged sev-border-${top.severity}` : ''}`,
      data: { testid: 'step', stepId: g.stepId },
    },
    h(
      'header',
      null,
      h('span', { class: 'step-title' }, title),
      g.argv ? h('code', { class: 'step-cmd' }, clip(commandLine(g.argv), 200)) : null,
      h('span', { class: 'step-end muted' }, g.end ? stepOutcome(g.end) : g.key ? 'running…' : ''),
    ),
    top
      ? h(
          'p',
          { class: `step-headline sev-text-${top.severity}` },
          findingHeadline(top, ordinal),
          shown.length > 1 ? h('span', { class: 'muted' }, `  +${shown.length - 1} more`) : null,
        )
      : null,
    h(
      'ol',
      { class: 'rows' },
      hidden > 0
        ? h(
            'li',
            { class: 'more', onClick: () => actions.toggleStep(g.key) },
            `show ${hidden} earlier events`,
          )
        : null,
      rows.map((id) => {
        const e = tl.event(id);
        if (!e) return null;
        if (e.kind === 'finding') {
          if (!findingPasses(e.finding, ui.filter)) return null;
          // The step's title already says episode and step: the row says only what happened.
          return findingRow(e.finding, describeEvent(e).text, ui, actions, Date.now());
        }
        const line = describeEvent(e);
        return h(
          'li',
          { class: `ev tone-${line.tone}`, data: { kind: e.kind } },
          h('time', { class: 'mono muted' }, formatClock(e.ts)),
          h('span', { class: `tag tag-${line.tag}` }, line.tag),
          h('span', { class: 'text' }, line.text),
        );
      }),
    ),
    expanded && g.rows.length > ROWS_SHOWN
      ? h('button', { class: 'link', onClick: () => actions.toggleStep(g.key) }, 'show fewer')
      : null,
  );
}

export function renderSandbox(
  sb: SandboxEntry | undefined,
  tl: SandboxTimeline,
  ui: UiState,
  actions: Actions,
): HTMLElement {
  const steps = tl.steps();
  let ordinal = 0;
  const cards = steps.map((g) => {
    if (g.key !== '') ordinal += 1;
    const flagged = g.findings.some((f) => findingPasses(f, ui.filter));
    if (ui.onlyFlaggedSteps && !flagged) return null;
    return stepCard(g, g.key === '' ? undefined : ordinal, tl, ui, actions);
  });
  const toggle = h('input', {
    attrs: { type: 'checkbox' },
    onChange: (e) => actions.setOnlyFlaggedSteps((e.target as HTMLInputElement).checked),
  });
  toggle.checked = ui.onlyFlaggedSteps;
  return h(
    'div',
    { class: 'sandbox-view', data: { testid: 'sandbox-view', sandboxId: tl.sandboxId } },
    sandboxHeader(sb, tl),
    h(
      'div',
      { class: 'timeline-bar' },
      h('h3', null, 'Timeline'),
      h('label', { class: 'toggle' }, toggle, ' only steps with findings'),
    ),
    steps.length === 0
      ? h('p', { class: 'empty' }, 'No events yet. Each exec appears here as a step.')
      : h('div', { class: 'timeline' }, cards),
    steps.length > 0 && cards.every((c) => c === null)
      ? h('p', { class: 'empty' }, 'No step raised a finding matching the filters.')
      : null,
  );
}
