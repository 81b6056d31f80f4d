import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCloudInit, parseCloudConfig, userDataSizeReport, type CloudInitInput } from '../../bootstrap/cloudinit/index.js';
import { generateClusterPKI } from '../../bootstrap/index.js';
import { initConfiguration, joinConfiguration, parseConfigDocuments } from '../../bootstrap/config/load.js';
import { caCertHash } from '../../lib/pki.js';

test('cloud-init user-data for every role passes `cloud-init schema`, parses back, and joins stay under 16 KiB', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clusterd-cloudinit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await generateClusterPKI();
  const base: Omit<CloudInitInput, 'role' | 'nodeName'> = {
    clusterName: 'demo', version: 'v1.37.2', controlPlaneEndpoint: { host: 'lb.demo.example', port: 6443 },
    clusterNetwork: { services: { cidrBlocks: ['10.128.0.0/12'] }, pods: { cidrBlocks: ['192.168.0.0/16'] }, serviceDomain: 'demo.local' },
    kubeadm: { apiServer: { certSANs: ['api.demo.example'], extraArgs: { 'audit-log-maxage': '7' } }, featureGates: { SomeGate: true } },
    token: 'abcdef.0123456789abcdef', caCertHashes: [caCertHash(pki.ca.certPem)], certificateKey: 'ab'.repeat(32),
    extras: {
      files: [{ path: '/etc/motd', content: 'hello\n', permissions: '0644' }], preCommands: ['echo pre'], postCommands: ['echo post'],
      users: [{ name: 'ops', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza ops@example'], sudo: 'ALL=(ALL) NOPASSWD:ALL', groups: 'adm', shell: '/bin/bash' }],
      nodeLabels: { 'pool': 'a' }, kubeletExtraArgs: { 'max-pods': '50' },
    },
  };
  const rendered = {
    init: renderCloudInit({ ...base, role: 'init', nodeName: 'cp-0', certs: pki }),
    cp: renderCloudInit({ ...base, role: 'join-control-plane', nodeName: 'cp-1' }),
    worker: renderCloudInit({ ...base, role: 'join-worker', nodeName: 'w-0' }),
  };
  for (const [role, text] of Object.entries(rendered)) {
    const f = join(dir, `${role}.yaml`);
    writeFileSync(f, text);
    // Debian's cloud-init is a test dependency (.ci/run installs it): a missing binary fails here, on purpose.
    const out = execFileSync('cloud-init', ['schema', '--config-file', f], { encoding: 'utf8' });
    assert.match(out, /Valid cloud-config/, role);
    const parsed = parseCloudConfig(text);
    assert.deepEqual(parsed.runcmd[0], 'echo pre');
    assert.deepEqual(parsed.runcmd.at(-1), 'echo post');
    assert.equal(parsed.users[0]!.name, 'ops');
    const cfgFile = parsed.writeFiles.find((w) => w.path === '/run/clusterd/kubeadm.yaml')!;
    assert.equal(cfgFile.permissions, '0600');
    const docs = parseConfigDocuments(cfgFile.content);
    if (role === 'init') {
      const cfg = initConfiguration(docs);
      assert.equal(cfg.cluster.controlPlaneEndpoint, 'lb.demo.example:6443');
      assert.equal(cfg.cluster.networking.serviceSubnet, '10.128.0.0/12');
      assert.equal(cfg.certificateKey, 'ab'.repeat(32));
      assert.match(parsed.runcmd[1]!, /^clusterd agent init --upload-certs --config \/run\/clusterd\/kubeadm.yaml$/);
      assert.equal(parsed.writeFiles.find((w) => w.path === '/etc/kubernetes/pki/ca.key')?.permissions, '0600');
      assert.equal(parsed.writeFiles.find((w) => w.path === '/etc/kubernetes/pki/ca.crt')?.content, pki.ca.certPem);
    } else {
      const cfg = joinConfiguration(docs);
      assert.equal(cfg.discovery.bootstrapToken?.apiServerEndpoint, 'lb.demo.example:6443');
      assert.deepEqual(cfg.nodeRegistration.kubeletExtraArgs, [{ name: 'max-pods', value: '50' }, { name: 'node-labels', value: 'pool=a' }]);
      assert.equal(cfg.controlPlane?.certificateKey, role === 'cp' ? 'ab'.repeat(32) : undefined);
      assert.ok(!parsed.writeFiles.some((w) => w.path.endsWith('.key')), 'a joining machine gets no CA keys in user-data');
      const size = userDataSizeReport(text);
      assert.ok(size.withinLimit, `${role}: ${size.bytes} bytes`);
    }
  }
  assert.throws(() => renderCloudInit({ ...base, role: 'join-control-plane', nodeName: 'cp-2', certificateKey: undefined }), /certificateKey/);
  assert.throws(() => renderCloudInit({ ...base, role: 'join-worker', nodeName: 'Bad_Name' }), /nodeName/);
  assert.throws(() => parseCloudConfig('runcmd: []'), /#cloud-config/);
});
