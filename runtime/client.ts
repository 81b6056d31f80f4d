/** The runtime's client is the shared dynamic client (client/client.ts); re-exported where controllers import it. */
export * from '../client/client.js';
