import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BOOT_FINISHED, CLOUD_INIT_LOG, parseUserData, runCloudInit, shellWords } from '../../providers/inmemory/cloudinit.js';

const gzb64 = gzipSync(Buffer.from('compressed\n')).toString('base64');
const userData = `#cloud-config
users:
  - name: ops
    ssh_authorized_keys: ["ssh-ed25519 AAAA ops@example"]
write_files:
  - path: /etc/clusterd/join.yaml
    permissions: "0600"
    owner: root:root
    content: |
      kind: JoinConfiguration
  - path: /etc/b64.txt
    encoding: b64
    content: ${Buffer.from('hello\n').toString('base64')}
  - path: /etc/gz.txt
    encoding: gzip+base64
    content: ${gzb64}
  - path: /etc/b64.txt
    append: true
    content: "more\\n"
  - path: /run/done
    defer: true
    content: deferred
runcmd:
  - echo "pre command" > /tmp/pre
  - "clusterd agent join --config /etc/clusterd/join.yaml && echo success > /run/cluster-api/bootstrap-success.complete"
  - [ "/usr/local/bin/clusterd", "agent", "phase", "preflight" ]
`;

test('write_files, users and runcmd are executed under the machine root; other commands are only recorded', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cloudinit-'));
  try {
    const calls: string[][] = [];
    const res = await runCloudInit(parseUserData(userData), {
      root,
      runAgent: async (args, io) => {
        calls.push(args);
        io.stdout.write('[preflight] Running pre-flight checks\n');
        return 0;
      },
    });
    assert.deepEqual(res, { ok: true });
    assert.deepEqual(calls, [
      ['agent', 'join', '--config', '/etc/clusterd/join.yaml', '--root', root],
      ['agent', 'phase', 'preflight', '--root', root],
    ]);
    assert.equal(readFileSync(join(root, 'etc/clusterd/join.yaml'), 'utf8'), 'kind: JoinConfiguration\n');
    assert.equal(statSync(join(root, 'etc/clusterd/join.yaml')).mode & 0o777, 0o600);
    assert.equal(statSync(join(root, 'etc/gz.txt')).mode & 0o777, 0o644);
    assert.equal(readFileSync(join(root, 'etc/b64.txt'), 'utf8'), 'hello\nmore\n');
    assert.equal(readFileSync(join(root, 'etc/gz.txt'), 'utf8'), 'compressed\n');
    assert.equal(readFileSync(join(root, 'run/done'), 'utf8'), 'deferred');
    assert.match(readFileSync(join(root, 'home/ops/.ssh/authorized_keys'), 'utf8'), /ops@example/);
    assert.ok(existsSync(join(root, BOOT_FINISHED)));
    // Not a shell: nothing but the agent runs, the rest is in the log.
    assert.ok(!existsSync(join(root, 'tmp/pre')));
    const log = readFileSync(join(root, CLOUD_INIT_LOG), 'utf8');
    assert.match(log, /runcmd \(recorded, not run\): echo pre command > \/tmp\/pre/);
    assert.match(log, /runcmd \(recorded, not run\): echo success > \/run\/cluster-api\/bootstrap-success.complete/);
    assert.match(log, /\[preflight\] Running pre-flight checks/);
    // kubeadm prints the join token and certificate key here: the log is root's only, as cloud-init writes it.
    assert.equal(statSync(join(root, CLOUD_INIT_LOG)).mode & 0o777, 0o600);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failing agent stops the && chain and the run, and boot-finished is not written', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cloudinit-'));
  try {
    const res = await runCloudInit(parseUserData('#cloud-config\nruncmd:\n  - clusterd agent init && clusterd agent phase addons\n  - clusterd agent join\n'), {
      root,
      runAgent: async (args) => (args[1] === 'init' ? 1 : 0),
    });
    assert.equal(res.ok, false);
    assert.match(res.failed ?? '', /clusterd agent init exited with 1/);
    assert.ok(!existsSync(join(root, BOOT_FINISHED)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bad user-data is an error that names the key', () => {
  assert.throws(() => parseUserData('#!/bin/sh\necho hi\n'), /only "#cloud-config"/);
  assert.throws(() => parseUserData('#cloud-config\nwrite_files:\n  - content: x\n'), /write_files\[0\]\.path: Required value/);
  assert.throws(() => parseUserData('#cloud-config\nruncmd:\n  - {a: 1}\n'), /runcmd\[0\]: must be a string or a list of strings/);
});

test('shell words honour quotes and escapes', () => {
  assert.deepEqual(shellWords(`clusterd agent join --token 'abc def' --x "a\\"b" c\\ d`), ['clusterd', 'agent', 'join', '--token', 'abc def', '--x', 'a"b', 'c d']);
});
