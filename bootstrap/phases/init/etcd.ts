/** init's etcd phase: the static Pod of a local, stacked etcd (nothing with external etcd). */
import type { Phase } from '../../workflow.js';
import { etcdManifest } from '../../manifests.js';
import { writeManifest } from '../shared.js';
import { manifestInput, type InitData } from './data.js';

const ifLocalEtcd = async (d: InitData, f: () => Promise<void> | void): Promise<void> => {
  if (!d.cfg.cluster.etcd.local) {
    d.out.phase('etcd', 'External etcd mode: skipping the local etcd static Pod');
    return;
  }
  await f();
};

export const etcdPhase = (): Phase<InitData> => ({
  name: 'etcd', short: 'Generate static Pod manifest file for local etcd',
  phases: [{ name: 'local', short: 'Generate the static Pod manifest file for a local, single-node local etcd instance', run: (d) => ifLocalEtcd(d, () => writeManifest(d.fs, d.out, 'etcd', etcdManifest(manifestInput(d)))) }],
});
