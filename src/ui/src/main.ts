/**
 * The dashboard's entry: reads the token, lays out the page once, follows two event streams (every
 * sandbox's lifecycle and findings; the chosen sandbox's full timeline) and redraws at most once
 * per animation frame when something changed.
 */
import './styles.css';
import {
  followEvents,
  forgetToken,
  listSandboxes,
  readToken,
  saveToken,
  UnauthorizedError,
} from './api.js';
import { h, replaceChildren } from './dom.js';
import { NO_FILTER, DashboardModel } from './model.js';
import { SandboxTimeline } from './timeline.js';
import type { Actions, UiState } from './ui-state.js';
import { renderFinding } from './view-finding.js';
import { buildHeader } from './view-header.js';
import { renderOverview } from './view-overview.js';
import { renderSidebar } from './view-sidebar.js';
import { renderSandbox } from './view-timeline.js';

const GLOBAL_KINDS = ['sandbox.start', 'sandbox.end', 'step.start', 'finding'];
const LIST_REFRESH_MS = 5000;

function askForToken(root: HTMLElement, refused: boolean): void {
  const input = h('input', {
    attrs: { type: 'password', placeholder: 'token', 'aria-label': 'token' },
  });
  const form = h(
    'form',
    { class: 'token-form' },
    h('h1', null, h('span', { class: 'logo' }, '◈'), ' cordon'),
    h(
      'p',
      null,
      refused ? 'The server refused this token. ' : '',
      'Open the link printed by ',
      h('code', null, 'cordon serve'),
      ' (it ends in ',
      h('code', null, '#token=…'),
      '), or paste the token from ',
      h('code', null, '<data-dir>/token'),
      '.',
    ),
    input,
    h('button', { attrs: { type: 'submit' } }, 'Open dashboard'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim() === '') return;
    saveToken(input.value.trim());
    location.reload();
  });
  replaceChildren(root, form);
}

function start(root: HTMLElement, token: string): void {
  const model = new DashboardModel();
  const ui: UiState = {
    filter: { ...NO_FILTER },
    expandedSteps: new Set(),
    onlyFlaggedSteps: false,
    connection: 'connecting',
  };
  let timeline: SandboxTimeline | undefined;
  let stopTimeline: (() => void) | undefined;
  let frame: number | undefined;
  let stopped = false;

  const sidebar = h('nav', { class: 'sidebar', data: { testid: 'sidebar' } });
  const main = h('main', { class: 'main' });
  const drawer = h('div', { class: 'drawer' });

  const unauthorized = (): void => {
    stopped = true;
    stopGlobal();
    stopTimeline?.();
    forgetToken();
    askForToken(root, true);
  };

  const render = (): void => {
    frame = undefined;
    if (stopped) return;
    header.update(model, ui);
    replaceChildren(sidebar, renderSidebar(model, ui, actions));
    const sb = ui.selectedSandbox;
    replaceChildren(
      main,
      sb !== undefined && timeline
        ? renderSandbox(model.sandboxes.get(sb), timeline, ui, actions)
        : renderOverview(model, ui, actions),
    );
    const f = ui.selectedFinding === undefined ? undefined : model.finding(ui.selectedFinding);
    drawer.classList.toggle('open', f !== undefined);
    replaceChildren(
      drawer,
      f
        ? renderFinding(
            f,
            timeline?.ordinal(f.stepId) ?? model.stepOrdinal(f.sandboxId, f.stepId),
            timeline,
            actions,
          )
        : null,
    );
  };
  const schedule = (): void => {
    frame ??= requestAnimationFrame(render);
  };

  const follow = (id: string): void => {
    stopTimeline?.();
    const tl = new SandboxTimeline(id);
    timeline = tl;
    stopTimeline = followEvents({
      token,
      sandbox: id,
      replay: true,
      onEvent: (e) => {
        if (tl.apply(e)) schedule();
      },
      onState: () => {},
      onUnauthorized: unauthorized,
    });
  };

  const actions: Actions = {
    selectSandbox(id) {
      ui.selectedFinding = undefined;
      ui.expandedSteps.clear();
      if (id === ui.selectedSandbox) return schedule();
      ui.selectedSandbox = id;
      if (id === undefined) {
        stopTimeline?.();
        stopTimeline = undefined;
        timeline = undefined;
      } else follow(id);
      schedule();
    },
    openFinding(findingId, sandboxId) {
      if (sandboxId !== ui.selectedSandbox) {
        ui.selectedSandbox = sandboxId;
        ui.expandedSteps.clear();
        follow(sandboxId);
      }
      ui.selectedFinding = findingId;
      schedule();
    },
    closeFinding() {
      ui.selectedFinding = undefined;
      schedule();
    },
    setFilter(patch) {
      ui.filter = { ...ui.filter, ...patch };
      schedule();
    },
    setOnlyFlaggedSteps(on) {
      ui.onlyFlaggedSteps = on;
      schedule();
    },
    toggleStep(key) {
      if (!ui.expandedSteps.delete(key)) ui.expandedSteps.add(key);
      schedule();
    },
  };

  const header = buildHeader(ui, actions);
  replaceChildren(root, header.el, h('div', { class: 'layout' }, sidebar, main, drawer));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') actions.closeFinding();
  });

  const stopGlobal = followEvents({
    token,
    kinds: GLOBAL_KINDS,
    replay: true,
    onEvent: (e) => {
      if (!model.apply(e)) return;
      // A new sandbox: fetch its labels soon (the list knows it once its launch returns).
      if (e.kind === 'sandbox.start') refreshSoon(300);
      schedule();
    },
    onState: (state) => {
      ui.connection = state;
      schedule();
    },
    onUnauthorized: unauthorized,
  });

  let refreshTimer: number | undefined;
  const refresh = async (): Promise<void> => {
    try {
      model.applyList(await listSandboxes(token), Date.now());
      schedule();
    } catch (error) {
      if (error instanceof UnauthorizedError) unauthorized();
    }
  };
  function refreshSoon(delayMs: number): void {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(() => void refresh(), delayMs);
  }
  void refresh();
  window.setInterval(() => {
    if (!stopped) void refresh();
  }, LIST_REFRESH_MS);
  schedule();
}

const root = document.getElementById('app');
if (root) {
  const token = readToken();
  if (token === undefined) askForToken(root, false);
  else start(root, token);
}
