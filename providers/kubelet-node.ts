/**
 * What a kubelet derives from its own files when it registers its Node, shared by the in-memory provider's simulated
 * kubelet and the local provider's process kubelet: its name from kubelet.conf's client certificate, and the labels
 * and taints from kubeadm-flags.env (--node-labels, --register-with-taints).
 */
import { X509Certificate } from 'node:crypto';

/** The node name of a kubelet client certificate (CN system:node:NAME); anything else is an error. */
export function nodeNameOfCert(certPem: string): string {
  const cn = /CN=([^\n,]+)/.exec(new X509Certificate(certPem).subject)?.[1] ?? '';
  if (!cn.startsWith('system:node:')) throw new Error(`kubelet.conf identity ${cn} is not a node`);
  return cn.slice('system:node:'.length);
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
}

/** The well-known labels, --node-labels and --register-with-taints, as the kubelet registers them. */
export function registrationOf(nodeName: string, flags: ReadonlyMap<string, string>): { labels: Record<string, string>; taints: NodeTaint[] } {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
  };
  for (const kv of (flags.get('node-labels') ?? '').split(',').filter(Boolean)) {
    const [k, v = ''] = kv.split('=');
    if (k) labels[k] = v;
  }
  const taints = (flags.get('register-with-taints') ?? '').split(',').filter(Boolean).map((t): NodeTaint => {
    const [kv = '', effect = 'NoSchedule'] = t.split(':');
    const [key = '', value] = kv.split('=');
    return value === undefined ? { key, effect } : { key, value, effect };
  });
  return { labels, taints };
}
