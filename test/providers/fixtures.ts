/**
 * Cloud-init user-data for the in-memory provider's integration test and benchmark, written by hand in
 * kubeadm's own config format (v1beta4) — what bootstrap's renderCloudInit produces for a Machine.
 */
import yaml from 'js-yaml';
import { clusterPKIFiles, type ClusterPKI } from '../../bootstrap/index.js';

export interface WorkloadSpec {
  pki: ClusterPKI;
  endpoint: string; // host:port of the load balancer
  version: string;
  token: string;
  caCertHash: string;
  certificateKey: string;
}

const file = (path: string, content: string, permissions = '0644') => ({ path, content, permissions, owner: 'root:root' });
const CONFIG = '/run/kubeadm/kubeadm.yaml';

function userData(files: object[], cmd: string): string {
  return '#cloud-config\n' + yaml.dump({ write_files: files, runcmd: [cmd] }, { lineWidth: -1 });
}

export function initUserData(s: WorkloadSpec, name: string, address: string, tokenTTL = '1h'): string {
  const pki = Object.entries(clusterPKIFiles(s.pki)).map(([f, c]) => file(`/etc/kubernetes/pki/${f}`, c, f.endsWith('.key') ? '0600' : '0644'));
  const cfg = [
    { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration', bootstrapTokens: [{ token: s.token, ttl: tokenTTL }], certificateKey: s.certificateKey,
      localAPIEndpoint: { advertiseAddress: address, bindPort: 6443 }, nodeRegistration: { name } },
    { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'ClusterConfiguration', kubernetesVersion: s.version, controlPlaneEndpoint: s.endpoint, clusterName: 'workload' },
  ].map((d) => yaml.dump(d)).join('---\n');
  return userData([...pki, file(CONFIG, cfg, '0600')], `clusterd agent init --config ${CONFIG} --upload-certs`);
}

export function joinUserData(s: WorkloadSpec, name: string, address: string, controlPlane: boolean): string {
  const cfg = {
    apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'JoinConfiguration', nodeRegistration: { name },
    discovery: { bootstrapToken: { apiServerEndpoint: s.endpoint, token: s.token, caCertHashes: [s.caCertHash] } },
    ...(controlPlane ? { controlPlane: { localAPIEndpoint: { advertiseAddress: address, bindPort: 6443 }, certificateKey: s.certificateKey } } : {}),
  };
  return userData([file(CONFIG, yaml.dump(cfg), '0600')], `clusterd agent join --config ${CONFIG}`);
}
