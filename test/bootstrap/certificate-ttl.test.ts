// kubeadm-certs lives as long as its proxy bootstrap token: 2h by default (kubeadm's fixed value), or what
// --certificate-token-ttl (agent) / certificateTokenTTL (cloud-init renderer) says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCloudInit, parseCloudConfig, type CloudInitInput } from '../../bootstrap/cloudinit/index.js';
import { agent, agentFails, initCluster } from './harness.js';

const input: CloudInitInput = {
  role: 'init', nodeName: 'cp-0', clusterName: 'demo', controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 },
  token: 'abcdef.0123456789abcdef', certificateKey: 'ab'.repeat(32),
};

test('the renderer passes certificateTokenTTL to the init agent and refuses it where it means nothing', () => {
  const runcmd = parseCloudConfig(renderCloudInit({ ...input, certificateTokenTTL: '90s' })).runcmd.join('\n');
  assert.match(runcmd, /clusterd agent init --upload-certs --certificate-token-ttl 90s --config/);
  assert.doesNotMatch(parseCloudConfig(renderCloudInit(input)).runcmd.join('\n'), /certificate-token-ttl/, 'the default is the agent\'s');
  assert.throws(() => renderCloudInit({ ...input, certificateTokenTTL: 'soon' }), /certificateTokenTTL: "soon" is not a duration/);
  assert.throws(() => renderCloudInit({ ...input, role: 'join-worker', caCertHashes: ['sha256:' + 'a'.repeat(64)], certificateTokenTTL: '1h' }),
    /certificateTokenTTL: only the init machine/);
});

test('--certificate-token-ttl sets the proxy token\'s expiration; the default stays 2h', { timeout: 90_000 }, async (t) => {
  const before = Date.now();
  const c = await initCluster(['--certificate-token-ttl', '90s']);
  t.after(() => c.close());
  assert.match(c.initOutput, /uploaded-certs will be deleted in 1m30s/);
  const expiration = async (): Promise<number> => {
    const certs = await c.core.readNamespacedSecret({ name: 'kubeadm-certs', namespace: 'kube-system' });
    const owner = certs.metadata!.ownerReferences![0]!.name;
    const tok = await c.core.readNamespacedSecret({ name: owner, namespace: 'kube-system' });
    return Date.parse(Buffer.from(tok.data!.expiration!, 'base64').toString());
  };
  const exp = await expiration();
  assert.ok(exp >= before + 85_000 && exp <= Date.now() + 91_000, `expiration ${new Date(exp).toISOString()} is 90s out`);

  // Re-uploading without the flag (kubeadm's recovery command) gives a fresh proxy token with kubeadm's 2h.
  const again = await agent(['init', 'phase', 'upload-certs', '--upload-certs', '--root', c.rootA, '--node-name', 'cp-0', '--apiserver-advertise-address', '127.0.0.1',
    '--control-plane-endpoint', c.endpoint]);
  assert.match(again, /Using certificate key/);
  const exp2 = await expiration();
  assert.ok(Math.abs(exp2 - (Date.now() + 2 * 3600_000)) < 60_000, `default expiration ${new Date(exp2).toISOString()} is 2h out`);

  const bad = await agentFails(['init', 'phase', 'upload-certs', '--upload-certs', '--root', c.rootA, '--certificate-token-ttl', 'tomorrow']);
  assert.match(bad, /--certificate-token-ttl: "tomorrow" is not a duration/);
});
