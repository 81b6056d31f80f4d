/** init's kubelet-start phase: the kubelet's configuration, instance configuration and flags. */
import type { Phase } from '../../workflow.js';
import { dumpYaml, kubeletConfiguration, writeKubeletFiles } from '../shared.js';
import type { InitData } from './data.js';

export const kubeletStartPhase = (): Phase<InitData> => ({
  name: 'kubelet-start', short: 'Write kubelet settings and (re)start the kubelet',
  run: async (d) => {
    writeKubeletFiles(d.fs, d.out, dumpYaml(kubeletConfiguration(d.cfg.cluster, d.cfg.kubelet)), d.cfg.nodeRegistration);
    d.out.phase('kubelet-start', 'Starting the kubelet');
  },
});
