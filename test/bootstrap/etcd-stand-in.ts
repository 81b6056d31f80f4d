/**
 * Stand-in for the nodes' stacked etcd in the agent's tests, where no kubelet runs the static Pods: the in-memory
 * provider's simulated etcd (etcd's JSON membership API over mutual TLS), each node's member started once its etcd
 * manifest appears under its root, as its kubelet would start it. The first member answers at this test process's
 * own loopback (harness LOOPBACK:2379) with a serving certificate from the node's etcd CA, and its mirror Pod carries
 * that URL in kubeadm's advertise-client-urls annotation, as the kubelet would post it: the agent finds it there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { SimEtcd } from '../../providers/inmemory/etcd.js';
import { parseStaticPod } from '../../providers/inmemory/staticpods.js';
import { newPrivateKey, signCert } from '../../lib/pki.js';

export class EtcdStandIn {
  readonly sim = new SimEtcd(undefined, 200);
  private readonly timer: NodeJS.Timeout;
  private readonly started = new Set<string>();
  private readonly catchUp = new Map<string, number>();
  private served = false;
  /** What went wrong starting a member (reported by the test that waits on it). */
  readonly errors: string[] = [];

  /** Watches every node root directly under `base` (each test machine's --root) for its etcd manifest. */
  constructor(private readonly core: CoreV1Api, private readonly loopback: string, base: string) {
    this.timer = setInterval(() => {
      for (const root of existsSync(base) ? readdirSync(base).map((d) => join(base, d)) : []) {
        const manifest = join(root, 'etc/kubernetes/manifests/etcd.yaml');
        if (this.started.has(root) || !existsSync(manifest)) continue;
        this.started.add(root);
        this.start(root, readFileSync(manifest, 'utf8'), this.catchUp.get(root)).catch((err: Error) => this.errors.push(`${root}: ${err.message}`));
      }
    }, 100);
  }

  /** The member of the node at `root` takes this long to catch up with the leader (Infinity: never). */
  setCatchUp(root: string, ms: number): void {
    this.catchUp.set(root, ms);
  }

  private async start(root: string, text: string, catchUpMs?: number): Promise<void> {
    const f = parseStaticPod(text).flags;
    const name = f.get('name')!;
    const id = this.sim.start({
      name, peerURL: f.get('initial-advertise-peer-urls')!, clientURLs: [`https://${this.loopback}:2379`],
      initialCluster: f.get('initial-cluster') ?? '', state: f.get('initial-cluster-state') === 'existing' ? 'existing' : 'new',
      ...(catchUpMs !== undefined ? { catchUpMs } : {}),
    });
    if (this.served) return;
    this.served = true;
    const pki = (p: string): string => readFileSync(join(root, 'etc/kubernetes/pki/etcd', p), 'utf8');
    const ca = { certPem: pki('ca.crt'), keyPem: pki('ca.key') };
    const serving = signCert({ commonName: name, altNames: [this.loopback], usages: ['server', 'client'] }, ca, newPrivateKey('ECDSA-P256'));
    await this.sim.serve(id, { host: this.loopback, port: 2379, certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: ca.certPem });
    await this.core.createNamespacedPod({
      namespace: 'kube-system',
      body: {
        metadata: {
          name: `etcd-${name}`, namespace: 'kube-system', labels: { component: 'etcd', tier: 'control-plane' },
          annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${this.loopback}:2379`, 'kubernetes.io/config.mirror': 'stand-in' },
        },
        spec: { nodeName: name, containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd' }] },
      },
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sim.close();
  }
}
