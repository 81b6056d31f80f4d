/** The runtime's errors are the one ApiError of the client layer (client/errors.ts); re-exported for controllers. */
export * from '../client/errors.js';
