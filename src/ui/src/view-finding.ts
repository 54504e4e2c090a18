/**
 * A finding's detail: what happened in one sentence, the rule and why it matters, what cordon
 * did, the process, the evidence as a readable table, and the events the finding rests on.
 */
import { h, type Child } from './dom.js';
import { describeEvent, findingDetail, findingHeadline, findingOutcome } from './describe.js';
import { clip, commandLine, formatClock } from './format.js';
import type { SandboxTimeline } from './timeline.js';
import type { Finding } from './types.js';
import type { Actions } from './ui-state.js';
import { categoryChip, severityBadge } from './view-badges.js';

/** A value as a person reads it: scalars as text, lists joined, objects as `key: value` lines. */
function evidenceValue(value: unknown, depth = 0): Child {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, '—');
  if (typeof value === 'string') return clip(value, 2000);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      return clip(value.map(String).join(', '), 2000);
    }
    return h(
      'ul',
      { class: 'ev-list' },
      value.slice(0, 50).map((v) => h('li', null, evidenceValue(v, depth + 1))),
    );
  }
  if (typeof value === 'object' && depth < 3) {
    return h(
      'dl',
      { class: 'kv nested' },
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        h('dt', null, k),
        h('dd', null, evidenceValue(v, depth + 1)),
      ]),
    );
  }
  return clip(JSON.stringify(value), 500);
}

function fact(label: string, value: Child | Child[]): Child[] {
  return [h('dt', null, label), h('dd', null, ...(Array.isArray(value) ? value : [value]))];
}

export function renderFinding(
  f: Finding,
  ordinal: number | undefined,
  tl: SandboxTimeline | undefined,
  actions: Actions,
): HTMLElement {
  const outcome = findingOutcome(f);
  const evidence = Object.entries(f.evidence).filter(([k]) => k !== 'detail');
  return h(
    'aside',
    { class: `detail sev-border-${f.severity}`, data: { testid: 'finding-detail', rule: f.rule } },
    h(
      'div',
      { class: 'detail-head' },
      severityBadge(f.severity),
      categoryChip(f.category),
      h('button', { class: 'close', title: 'Close', onClick: () => actions.closeFinding() }, '×'),
    ),
    h('h2', null, findingHeadline(f, ordinal)),
    h('p', { class: 'why' }, f.reason),
    h(
      'dl',
      { class: 'kv' },
      fact('rule', h('span', { class: 'mono' }, f.rule)),
      fact('saw', findingDetail(f)),
      fact(
        'response',
        outcome || (f.action === 'alert' ? 'reported (the policy action is alert)' : f.action),
      ),
      f.attack.length > 0
        ? fact(
            'ATT&CK',
            f.attack.map((id) => h('span', { class: 'chip mono' }, id)),
          )
        : null,
      fact('when', formatClock(f.ts)),
      fact('sandbox', h('span', { class: 'mono' }, f.sandboxId)),
      f.episodeId !== undefined ? fact('episode', f.episodeId) : null,
      f.stepId !== undefined ? fact('step id', h('span', { class: 'mono' }, f.stepId)) : null,
      f.pid !== undefined || f.exe
        ? fact('process', `${f.exe ?? '?'}${f.pid === undefined ? '' : ` (pid ${f.pid})`}`)
        : null,
      f.argv?.length ? fact('command', h('code', null, clip(commandLine(f.argv), 1000))) : null,
    ),
    evidence.length > 0
      ? [
          h('h3', null, 'Evidence'),
          h(
            'dl',
            { class: 'kv evidence', data: { testid: 'evidence' } },
            evidence.map(([k, v]) => fact(k, evidenceValue(v))),
          ),
        ]
      : null,
    h('h3', null, 'Events behind it'),
    h(
      'ol',
      { class: 'rows', data: { testid: 'finding-events' } },
      f.eventIds.map((id) => {
        const e = tl?.event(id);
        if (!e)
          return h(
            'li',
            { class: 'ev tone-muted' },
            h('span', { class: 'mono' }, id),
            ' (not loaded)',
          );
        const line = describeEvent(e);
        return h(
          'li',
          { class: `ev tone-${line.tone}` },
          h('time', { class: 'mono muted' }, formatClock(e.ts)),
          h('span', { class: `tag tag-${line.tag}` }, line.tag),
          h('span', { class: 'text' }, line.text),
        );
      }),
    ),
  );
}
