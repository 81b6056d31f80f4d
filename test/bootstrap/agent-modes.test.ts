// The agent's other modes: --dry-run (prints, writes nothing under --root, talks to no API server), file discovery
// with a kubeconfig, and token discovery without CA pinning only when asked, with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, agentFails, initCluster, STAND_IN_PORTS } from './harness.js';
import { parseKubeconfig } from '../../lib/kubeconfig.js';

test('--dry-run prints what it would send, writes nothing under --root and talks to no API server', { timeout: 60_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'clusterd-dryrun-test-'));
  // A listener on the would-be endpoint that counts every connection attempt.
  const sockets: Socket[] = [];
  const trap = createServer((s) => { sockets.push(s); s.destroy(); });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  const port = (trap.address() as { port: number }).port;
  t.after(async () => {
    await new Promise((r) => trap.close(r));
    rmSync(base, { recursive: true, force: true });
  });
  const root = join(base, 'root');
  const out = await agent([
    'init', '--dry-run', '--root', root, '--node-name', 'cp-0', '--apiserver-advertise-address', '127.0.0.1', '--apiserver-bind-port', String(port),
    '--control-plane-endpoint', `127.0.0.1:${port}`, '--token', 'abcdef.0123456789abcdef', '--upload-certs', `--ignore-preflight-errors=Port-${port},${STAND_IN_PORTS}`,
  ]);
  assert.match(out, /\[dryrun\] Writing files to the temporary directory /);
  assert.match(out, /\[dryrun\] Would perform action CREATE \(or UPDATE\) on Secret kube-system\/bootstrap-token-abcdef/);
  assert.match(out, /Would perform action CREATE \(or UPDATE\) on ConfigMap kube-public\/cluster-info/);
  assert.match(out, /Would perform action CREATE \(or UPDATE\) on Secret kube-system\/kubeadm-certs/);
  assert.match(out, /Would perform action CREATE \(or UPDATE\) on ConfigMap kube-system\/kubeadm-config/);
  assert.ok(!out.includes('0123456789abcdef\n') && !/token-secret: [^<]/.test(out), 'Secret values are redacted');
  assert.match(out, /token-secret: <redacted>/);
  assert.ok(!existsSync(root) || readdirSync(root).length === 0, 'nothing under --root');
  assert.equal(sockets.length, 0, 'no connection to the API server endpoint');
  // the temporary directory holds what would have been written
  const tmp = /temporary directory (\S+)/.exec(out)![1]!;
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  assert.ok(existsSync(join(tmp, 'etc/kubernetes/manifests/kube-apiserver.yaml')));
});

test('file discovery and unsafe-skip-ca-verification against an initialised cluster', { timeout: 120_000 }, async (t) => {
  const c = await initCluster();
  t.after(() => c.close());
  c.startApprover();

  // Token discovery without a CA hash is refused unless asked for, and then warns.
  const refused = await agentFails(['join', 'phase', 'discovery', c.endpoint, '--root', join(c.base, 'u0'), '--token', c.token]);
  assert.match(refused, /without caCertHashes can be unsafe.*--discovery-token-unsafe-skip-ca-verification/);
  const unsafe = await agent(['join', 'phase', 'discovery', c.endpoint, '--root', join(c.base, 'u1'), '--token', c.token, '--discovery-token-unsafe-skip-ca-verification']);
  assert.match(unsafe, /\[discovery\] WARNING: Using token-based discovery without validating against a CA public key/);
  assert.match(unsafe, /Trusting the cluster CA; API server https:\/\/127\.0\.0\.1:\d+/);
  const pinned = await agent(['join', 'phase', 'discovery', c.endpoint, '--root', join(c.base, 'u2'), '--token', c.token, '--discovery-token-ca-cert-hash', c.hash]);
  assert.ok(!pinned.includes('WARNING'), 'a pinned discovery does not warn');

  // File discovery: a kubeconfig with the CA and server (the cluster-info kubeconfig), and a TLS bootstrap token.
  const info = await c.core.readNamespacedConfigMap({ name: 'cluster-info', namespace: 'kube-public' });
  // The file is a host path on the machine, so under --root (cloud-init's write_files puts it there).
  const rootW = join(c.base, 'w');
  const discoveryFile = '/etc/kubernetes/discovery.conf';
  mkdirSync(join(rootW, 'etc/kubernetes'), { recursive: true });
  writeFileSync(join(rootW, discoveryFile), info.data!.kubeconfig!);
  const out = await agent(['join', '--root', rootW, '--discovery-file', discoveryFile, '--tls-bootstrap-token', c.token, '--node-name', 'w-file']);
  assert.match(out, /\[discovery\] Using the discovery file /);
  assert.match(out, /TLS bootstrap complete/);
  const kubelet = parseKubeconfig(readFileSync(join(rootW, 'etc/kubernetes/kubelet.conf'), 'utf8'));
  assert.equal(kubelet.server, `https://${c.endpoint}`);
  assert.equal(readFileSync(join(rootW, 'etc/kubernetes/pki/ca.crt'), 'utf8'), c.caPem, 'the CA came from the discovery file');
  const missing = await agentFails(['join', '--root', join(c.base, 'w2'), '--discovery-file', '/etc/kubernetes/nope.conf', '--tls-bootstrap-token', c.token, '--node-name', 'w-2']);
  assert.match(missing, /discovery file .*nope\.conf does not exist/);
});
