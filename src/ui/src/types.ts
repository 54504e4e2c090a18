/** The API's types as the dashboard sees them (type-only: nothing from the server is bundled). */
export type {
  CordonEvent,
  EventKind,
  Finding,
  FindingEvent,
  LifecycleEvent,
  NetFlowEvent,
  Severity,
} from '../../events/index.js';
export type { SandboxInfo } from '../../server/index.js';

export type Verdict = 'clean' | 'suspicious' | 'rogue';

/** An event as streamed: replayed ones carry the store's sequence number. */
export type Streamed<E> = E & { seq?: number };
