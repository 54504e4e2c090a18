/** The event bus and the typed events that flow on it. */
export * from './types.js';
export { EventBus, BoundedQueue, newEventId, type Listener, type SubscribeOptions } from './bus.js';
