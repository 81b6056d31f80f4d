import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCloudConfig, newBootstrapToken } from '../../bootstrap/index.js';
import { renderMachineCloudInit } from '../../controllers/machine/index.js';

const base = {
  clusterName: 'demo',
  nodeName: 'demo-workers-abcde',
  version: 'v1.37.2',
  controlPlaneEndpoint: { host: '127.10.0.1', port: 6443 },
  token: newBootstrapToken(),
  caCertHashes: ['sha256:' + 'ab'.repeat(32)],
};

test('a worker Machine\'s bootstrap extras reach its cloud-config: users, files, commands, labels', () => {
  const text = renderMachineCloudInit({
    ...base,
    role: 'join-worker',
    extras: {
      users: [{ name: 'ops', groups: 'sudo, docker', sshAuthorizedKeys: ['ssh-ed25519 AAAA ops@example'] }],
      files: [{ path: '/etc/motd', content: 'hello', permissions: '0644' }],
      preCommands: ['echo before'],
      postCommands: ['echo after'],
      nodeLabels: { pool: 'standalone' },
    },
  });
  assert.ok(text.startsWith('#cloud-config'));
  const cc = parseCloudConfig(text);
  const ops = cc.users.find((u) => u.name === 'ops');
  assert.ok(ops, 'user ops rendered');
  assert.deepEqual(ops.groups, ['sudo', 'docker']);
  assert.ok(cc.writeFiles.some((f) => f.path === '/etc/motd'));
  const cmds = cc.runcmd;
  const agentAt = cmds.findIndex((c) => c.includes('agent join'));
  assert.ok(agentAt > 0 && cmds[agentAt - 1]!.includes('echo before') && cmds[agentAt + 1]!.includes('echo after'), cmds.join('\n'));
  assert.ok(cc.writeFiles.some((f) => f.content.includes('pool=standalone')), 'node label in the kubeadm config');
});

test('a file whose contentFrom the controller did not resolve is refused with the field named, not dropped', () => {
  assert.throws(
    () => renderMachineCloudInit({ ...base, role: 'join-worker', extras: { files: [{ path: '/x', contentFrom: { secret: { name: 's', key: 'k' } } }] } }),
    /spec\.bootstrap\.files\[0\]: neither content nor a resolved contentFrom/,
  );
});
