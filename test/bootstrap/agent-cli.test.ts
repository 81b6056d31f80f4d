// The agent's command line, generated from the workflows' phase lists (kubeadm's BindToCommand): every phase is a
// subcommand under `init phase` / `join phase` (sub-phases nested, or spelled with a slash), --help lists them,
// --skip-phases skips by path, and commander's errors reach the caller's stderr with exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent } from '../../bootstrap/agent.js';
import { initWorkflow } from '../../bootstrap/phases/init/index.js';
import { joinWorkflow } from '../../bootstrap/phases/join/index.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAgent(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

const CERT_FLAGS = ['--node-name', 'cp-0', '--apiserver-advertise-address', '10.0.0.5'];

test('every init and join phase is a subcommand whose --help shows its description', async () => {
  for (const [mode, wf] of [['init', initWorkflow()], ['join', joinWorkflow()]] as const) {
    const phases = wf.list();
    assert.ok(phases.length > 10, `${mode} has its phases`);
    for (const p of phases) {
      const r = await run([mode, 'phase', ...p.path.split('/'), '--help']);
      assert.equal(r.code, 0, `${mode} phase ${p.path} --help: ${r.err}`);
      assert.match(r.out, new RegExp(`Usage: agent ${mode} phase ${p.path.split('/').join(' ')} `), p.path);
      assert.ok(r.out.replace(/\s+/g, ' ').includes(p.short), `${mode} phase ${p.path} --help shows "${p.short}"`);
      // the slash spelling reaches the same command
      const slash = await run([mode, 'phase', p.path, '--help']);
      assert.equal(slash.out, r.out, `${mode} phase ${p.path} --help`);
    }
    // `phase --help` lists every top-level phase; the workflow's --help lists every path in order
    const list = await run([mode, 'phase', '--help']);
    assert.equal(list.code, 0);
    for (const p of phases.filter((x) => !x.path.includes('/'))) assert.match(list.out, new RegExp(`^  ${p.path} `, 'm'), `${mode} phase --help lists ${p.path}`);
    const help = await run([mode, '--help']);
    assert.equal(help.code, 0);
    const listed = [...help.out.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]).filter((n) => phases.some((p) => p.path === n));
    assert.deepEqual(listed, phases.map((p) => p.path), `${mode} --help lists its phases in order`);
  }
});

test('`phase <name>` runs an init phase, or a join phase init does not have', async () => {
  const r = await run(['phase', '--help']);
  assert.equal(r.code, 0);
  for (const name of ['certs', 'upload-certs', 'discovery', 'control-plane-join']) assert.match(r.out, new RegExp(`^  ${name} `, 'm'), name);
  // preflight is both; the init one wins, as before
  assert.match((await run(['phase', 'preflight', '--help'])).out, /Run pre-flight checks/);
  assert.match((await run(['phase', 'discovery', '--help'])).out, /\[api-server-endpoint\]/);
});

test('--skip-phases skips by path, repeats and splits on commas, and refuses a phase that does not exist', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'clusterd-agent-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const pki = (f: string): string => join(root, 'etc/kubernetes/pki', f);
  const r = await run(['init', 'phase', 'certs', '--root', root, ...CERT_FLAGS, '--skip-phases', 'certs/apiserver-kubelet-client', '--skip-phases=certs/sa,certs/etcd-peer']);
  assert.equal(r.code, 0, r.err);
  for (const f of ['ca.crt', 'apiserver.crt', 'front-proxy-client.crt', 'etcd/server.crt']) assert.ok(existsSync(pki(f)), `${f} written`);
  for (const f of ['apiserver-kubelet-client.crt', 'sa.key', 'etcd/peer.crt']) assert.ok(!existsSync(pki(f)), `${f} skipped`);
  // a sub-phase alone, in kubeadm's spelling, then with a slash
  assert.equal((await run(['init', 'phase', 'certs', 'sa', '--root', root, ...CERT_FLAGS])).code, 0);
  assert.ok(existsSync(pki('sa.key')));
  assert.equal((await run(['init', 'phase', 'certs/etcd-peer', '--root', root, ...CERT_FLAGS])).code, 0);
  assert.ok(existsSync(pki('etcd/peer.crt')));
  assert.ok(!existsSync(pki('apiserver-kubelet-client.crt')), 'a sub-phase runs alone');

  const bad = await run(['init', '--root', root, ...CERT_FLAGS, '--skip-phases', 'certs/nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--skip-phases: unknown phase "certs\/nope" for init/);
});

test('boolean flags take =false, as pflag does; --dry-run writes under a temporary directory instead of --root', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'clusterd-agent-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dry = await run(['init', 'phase', 'certs', 'ca', '--root', root, ...CERT_FLAGS, '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  const tmp = /temporary directory (\S+)/.exec(dry.out)?.[1];
  assert.ok(tmp && existsSync(join(tmp, 'etc/kubernetes/pki/ca.crt')), 'dry-run wrote to its temporary directory');
  t.after(() => rmSync(tmp!, { recursive: true, force: true }));
  assert.ok(!existsSync(join(root, 'etc/kubernetes/pki/ca.crt')), 'dry-run wrote nothing under --root');
  const off = await run(['init', 'phase', 'certs', 'ca', '--root', root, ...CERT_FLAGS, '--dry-run=false']);
  assert.equal(off.code, 0, off.err);
  assert.doesNotMatch(off.out, /dryrun/);
  assert.ok(existsSync(join(root, 'etc/kubernetes/pki/ca.crt')), '--dry-run=false writes under --root');
});

test('bad command lines fail with exit code 1 and say why on stderr', async () => {
  const cases: [string[], RegExp][] = [
    [['init', '--bogus'], /unknown option '--bogus'/],
    [['init', 'phase', 'certs', '--root'], /option '--root <value>' argument missing/],
    [['init', 'phase', 'certz'], /unknown command 'certz'[\s\S]*Did you mean certs\?/],
    [['join', 'a:6443', 'b:6443'], /too many arguments for 'join'/],
    [['join', 'phase', 'discovery', '--upload-certs'], /unknown option '--upload-certs'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['init', '--apiserver-bind-port', '70000', '--root', '/nonexistent-root'], /--apiserver-bind-port: "70000" is not a port/],
  ];
  for (const [args, want] of cases) {
    const r = await run(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, want, args.join(' '));
  }
  // with no command it shows the commands, and fails
  const none = await run([]);
  assert.equal(none.code, 1);
  assert.match(none.err, /Commands:[\s\S]*init[\s\S]*join[\s\S]*phase[\s\S]*phases/);
  const help = await run(['help']);
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /Commands:[\s\S]*init/);
});
