/**
 * Wires the real layers behind the API's interfaces: one bus, the audit store (or an in-memory
 * history), the detector with each live sandbox as its responder, and sandboxes from src/sandbox.
 * Given the library's CordonRuntime (`cordon`), it reuses its bus, audit store, detector, network
 * cordon and monitor instead of making its own.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../audit/index.js';
import { Detector, verdictOf } from '../detect/index.js';
import { EventBus } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import type { Sandbox, SandboxMonitor } from '../sandbox/index.js';
import { auditHistory } from './audit-history.js';
import { WorkspaceSandboxManager, type LaunchFn } from './manager.js';
import { MemoryHistory } from './memory-history.js';
import { Metrics } from './metrics.js';
import {
  launchVia,
  realLaunch,
  type NetworkAttacher,
  type SandboxFactory,
} from './sandbox-launch.js';
import type { AppDeps } from './types.js';

/** The parts of the library's CordonRuntime the API uses. */
export interface CordonRuntimeLike extends SandboxFactory {
  bus: EventBus;
  detector: Detector;
  audit: AuditStore | undefined;
}

export interface RuntimeOptions {
  dataDir: string;
  /** Parent of sandbox workspaces; default: a fresh directory under the temp dir, removed on close. */
  workspaceRoot?: string | undefined;
  /** Reuse a started CordonRuntime (its owner closes it). */
  cordon?: CordonRuntimeLike | undefined;
  /** Starts a live sandbox; default: the real one (bubblewrap + cordon-init). */
  launch?: LaunchFn | undefined;
  /** Persist events in `<dataDir>/audit.db` (default true); false keeps a bounded ring in memory. */
  audit?: boolean | undefined;
  bus?: EventBus | undefined;
  /** The network cordon; absent: sandboxes get an empty network namespace (no egress at all). */
  network?: NetworkAttacher | undefined;
  monitor?: SandboxMonitor | undefined;
}

export interface Runtime {
  deps: AppDeps & { metrics: Metrics };
  workspaceRoot: string;
  detector: Detector;
  close(): Promise<void>;
}

/** How long an exec waits for the detector's responses before answering without them. */
const SETTLE_MS = 2000;

type Closer = () => void | Promise<void>;

function historyFor(options: RuntimeOptions, bus: EventBus, closers: Closer[]): AppDeps['history'] {
  if (options.cordon?.audit) return auditHistory(options.cordon.audit);
  if (options.audit === false || options.cordon) {
    const memory = new MemoryHistory(bus);
    closers.push(() => memory.close());
    return memory;
  }
  // A long-lived server: SQLite commits go to the write worker, off the thread that answers the API.
  const store = AuditStore.open({ dataDir: options.dataDir, writer: 'worker' });
  const off = store.attachToBus(bus);
  closers.push(() => {
    off();
    store.close();
  });
  return auditHistory(store);
}

/**
 * Not under the data dir: that stays 0700 (token, audit.db), while a sandbox's unprivileged uid must
 * be able to reach its workspace. 0711 lets it pass without listing the other sandboxes' ids.
 */
function ownWorkspaceRoot(closers: Closer[]): string {
  const root = mkdtempSync(join(tmpdir(), 'cordon-serve-'));
  chmodSync(root, 0o711);
  closers.push(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const bus = options.cordon?.bus ?? options.bus ?? new EventBus();
  const closers: Closer[] = [];
  const history = historyFor(options, bus, closers);
  const live = new Map<string, { policy: Policy; sandbox: Sandbox }>();
  let detector = options.cordon?.detector;
  if (!detector) {
    const own = new Detector({
      bus,
      policyFor: (id) => live.get(id)?.policy,
      responderFor: (id) => live.get(id)?.sandbox,
    });
    own.start();
    closers.push(() => own.stop());
    detector = own;
  }
  const metrics = new Metrics(bus);
  closers.push(() => metrics.close());
  const workspaceRoot = options.workspaceRoot ?? ownWorkspaceRoot(closers);
  const registry = {
    register(id: string, policy: Policy, sandbox: Sandbox) {
      live.set(id, { policy, sandbox });
      return () => live.delete(id);
    },
  };
  const launch =
    options.launch ??
    (options.cordon
      ? launchVia(options.cordon)
      : realLaunch({ network: options.network, monitor: options.monitor, registry }));
  const settled = detector;
  const sandboxes = new WorkspaceSandboxManager({
    bus,
    launch,
    workspaceRoot,
    settle: () =>
      Promise.race([settled.settled(), new Promise<void>((r) => setTimeout(r, SETTLE_MS).unref())]),
  });
  return {
    deps: { bus, sandboxes, history, metrics, verdictOf },
    detector,
    workspaceRoot,
    async close() {
      // Sandboxes first, so their final events reach the store before it closes.
      await sandboxes.close();
      for (const close of closers.reverse()) await close();
    },
  };
}
