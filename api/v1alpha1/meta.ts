/** ObjectMeta and friends: the generic shapes from lib/kube.ts, which every clusterd kind extends. */
export type { KubeObject, ObjectMeta, OwnerReference } from '../../lib/kube.js';
