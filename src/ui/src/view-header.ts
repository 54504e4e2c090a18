/**
 * The top bar: connection state, counts by verdict, and the finding filters. Built once; only the
 * counts and the connection pill are redrawn, so an open filter menu is never pulled away.
 */
import { h, replaceChildren } from './dom.js';
import { CATEGORY_LIST, SEVERITY_ORDER } from './format.js';
import type { DashboardModel } from './model.js';
import type { Severity } from './types.js';
import type { Actions, UiState } from './ui-state.js';

const CONNECTION_TEXT = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…' };

function select(
  label: string,
  value: string,
  options: [string, string][],
  onChange: (value: string) => void,
): HTMLElement {
  const el = h(
    'select',
    {
      attrs: { name: label.toLowerCase(), 'aria-label': label },
      onChange: (e) => onChange((e.target as HTMLSelectElement).value),
    },
    options.map(([v, text]) => h('option', { attrs: { value: v } }, text)),
  );
  el.value = value;
  return h('label', { class: 'filter' }, h('span', null, label), el);
}

export interface Header {
  el: HTMLElement;
  update(model: DashboardModel, ui: UiState): void;
}

export function buildHeader(ui: UiState, actions: Actions): Header {
  const conn = h('span', { class: 'conn', data: { testid: 'connection' } });
  const counts = h('div', { class: 'counts' });
  const el = h(
    'header',
    { class: 'topbar' },
    h(
      'button',
      { class: 'brand', onClick: () => actions.selectSandbox(undefined), title: 'All findings' },
      h('span', { class: 'logo' }, '◈'),
      'cordon',
    ),
    conn,
    counts,
    h(
      'div',
      { class: 'filters' },
      select(
        'Category',
        ui.filter.category,
        [['', 'all categories'], ...CATEGORY_LIST.map((c): [string, string] => [c, c])],
        (category) => actions.setFilter({ category }),
      ),
      select(
        'Severity',
        ui.filter.minSeverity,
        SEVERITY_ORDER.map((s): [string, string] => [
          s,
          s === 'info' ? 'any severity' : `${s} and up`,
        ]),
        (s) => actions.setFilter({ minSeverity: s as Severity }),
      ),
    ),
  );
  return {
    el,
    update(model, state) {
      conn.className = `conn conn-${state.connection}`;
      conn.dataset['state'] = state.connection;
      replaceChildren(conn, h('span', { class: 'dot' }), CONNECTION_TEXT[state.connection]);
      const c = model.counts();
      replaceChildren(
        counts,
        h('span', null, h('b', null, c.running), ' running'),
        h('span', { class: 'count-rogue' }, h('b', null, c.byVerdict.rogue), ' rogue'),
        h(
          'span',
          { class: 'count-suspicious' },
          h('b', null, c.byVerdict.suspicious),
          ' suspicious',
        ),
        h('span', { class: 'count-clean' }, h('b', null, c.byVerdict.clean), ' clean'),
      );
    },
  };
}
