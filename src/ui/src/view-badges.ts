/** Badges shared by every view: verdicts, severities, statuses. */
import { h } from './dom.js';
import type { Severity, Verdict } from './types.js';

export function verdictBadge(verdict: Verdict): HTMLElement {
  return h('span', { class: `badge verdict-${verdict}`, data: { verdict } }, verdict);
}

export function severityBadge(severity: Severity): HTMLElement {
  return h('span', { class: `badge sev-${severity}`, data: { severity } }, severity);
}

export function statusDot(status: 'running' | 'ended'): HTMLElement {
  return h('span', { class: `dot status-${status}`, title: status });
}

export function categoryChip(category: string): HTMLElement {
  return h('span', { class: 'chip' }, category);
}
