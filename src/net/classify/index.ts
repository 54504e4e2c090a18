/** Protocol classifiers: pure functions over the first bytes of a flow. */
export { classify } from './classify.js';
export { parseAuthority } from './http.js';
export { MAX_CLASSIFY_BYTES } from './types.js';
export type { Classification, ClassifyOptions, FlowProtocol } from './types.js';
