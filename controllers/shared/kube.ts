/**
 * The api/ types are closed interfaces; the runtime's KubeObject has an index signature. `Kube<T>` is a typed
 * kind as the runtime's cache and client accept it.
 */
import type { KubeObject } from '../../runtime/types.js';

export type Kube<T> = T & KubeObject;
