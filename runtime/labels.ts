/** Label selectors live in lib/labels.ts, shared with the API server; the runtime re-exports them. */
export * from '../lib/labels.js';
