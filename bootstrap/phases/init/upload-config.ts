/** init's upload-config phase: the ClusterConfiguration and the KubeletConfiguration, as ConfigMaps joiners read. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { uploadConfigObjects } from '../../api/objects.js';
import { clusterConfigurationDocument } from '../../config/serialize.js';
import { dumpYaml, kubeletConfiguration } from '../shared.js';
import { writer, type InitData } from './data.js';

async function uploadConfig(d: InitData, which: 'kubeadm' | 'kubelet'): Promise<void> {
  const w = await writer(d);
  const [cm, role, rb, kcm, krole, krb] = uploadConfigObjects(dumpYaml(clusterConfigurationDocument(d.cfg.cluster)), dumpYaml(kubeletConfiguration(d.cfg.cluster, d.cfg.kubelet)));
  if (which === 'kubeadm') {
    d.out.phase('upload-config', `Storing the configuration used in ConfigMap "${C.KUBEADM_CONFIG_CONFIGMAP}" in the "kube-system" Namespace`);
    for (const o of [cm!, role!, rb!]) await w.apply(o);
  } else {
    d.out.phase('kubelet', `Creating a ConfigMap "${C.KUBELET_CONFIG_CONFIGMAP}" in namespace kube-system with the configuration for the kubelets in the cluster`);
    for (const o of [kcm!, krole!, krb!]) await w.apply(o);
  }
}

export const uploadConfigPhase = (): Phase<InitData> => ({
  name: 'upload-config', short: 'Upload the kubeadm and kubelet configuration to a ConfigMap',
  phases: [
    { name: 'kubeadm', short: 'Upload the kubeadm ClusterConfiguration to a ConfigMap', run: (d) => uploadConfig(d, 'kubeadm') },
    { name: 'kubelet', short: 'Upload the kubelet component config to a ConfigMap', run: (d) => uploadConfig(d, 'kubelet') },
  ],
});
