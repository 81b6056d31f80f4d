import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Manager } from '../../runtime/manager.js';
import { newControllerManagedBy } from '../../runtime/builder.js';
import { ConflictError, isConflict } from '../../runtime/errors.js';
import { PatchHelper } from '../../runtime/patch.js';
import { getCondition, markFalse, markTrue } from '../../runtime/conditions.js';
import { OWNER_UID_INDEX } from '../../runtime/cache/cache.js';
import { setControllerReference } from '../../runtime/meta.js';
import type { KubeObject, Request } from '../../runtime/types.js';
import { eventually, httpGet, startEnv, WIDGET, type TestEnv } from './env.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
let env: TestEnv;

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

function newManager(): Manager {
  return new Manager({ kubeConfig: env.kc, metricsBindAddress: '127.0.0.1:0', healthProbeBindAddress: '127.0.0.1:0', gracefulShutdownTimeoutMs: 5000 });
}

async function run(mgr: Manager): Promise<{ stop(): Promise<void>; probe: string; metrics: string }> {
  const ctrl = new AbortController();
  const done = mgr.start(ctrl.signal);
  await eventually('servers', () => mgr.probeAddress && mgr.metricsAddress);
  return {
    stop: async () => {
      ctrl.abort();
      await done;
    },
    probe: `http://127.0.0.1:${mgr.probeAddress!.port}`,
    metrics: `http://127.0.0.1:${mgr.metricsAddress!.port}`,
  };
}

test('the client maps 404 and 409 to NotFoundError and ConflictError', async () => {
  await assert.rejects(env.client.get(CM, { namespace: 'default', name: 'nope' }), (e: Error) => e.name === 'NotFoundError');
  const cm = await env.client.create<KubeObject>({ ...CM, metadata: { name: 'conflict-me', namespace: 'default' }, data: { a: '1' } });
  await env.client.update({ ...cm, data: { a: '2' } });
  await assert.rejects(env.client.update({ ...cm, data: { a: '3' } }), (e: unknown) => isConflict(e) && e instanceof ConflictError);
  await assert.rejects(env.client.create(cm), (e: Error) => e.name === 'AlreadyExistsError');
});

test('/readyz is false until the caches sync; /metrics exposes reconcile counters', async () => {
  const kind = { apiVersion: 'late.clusterd.dev/v1', kind: 'Gadget' };
  const mgr = newManager();
  const seen: Request[] = [];
  newControllerManagedBy(mgr).for(kind).complete(async (req) => {
    seen.push(req);
    return {};
  });
  const h = await run(mgr);
  try {
    // The kind is not served yet, so its informer cannot list: not ready.
    await new Promise((r) => setTimeout(r, 300));
    const before = await httpGet(`${h.probe}/readyz`);
    assert.equal(before.status, 500);
    assert.match(before.body, /\[-\]informers failed: caches not synced/);
    assert.equal((await httpGet(`${h.probe}/healthz`)).status, 200);

    const crd = structuredClone((await import('./env.js')).widgetCRD) as KubeObject & { spec: Record<string, unknown> };
    crd.metadata.name = 'gadgets.late.clusterd.dev';
    crd.spec.group = 'late.clusterd.dev';
    crd.spec.names = { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' };
    await env.client.create(crd);
    await eventually('ready', async () => (await httpGet(`${h.probe}/readyz`)).status === 200, 20_000);

    await env.client.create({ ...kind, metadata: { name: 'g1', namespace: 'default' } });
    await eventually('reconcile', () => seen.some((r) => r.name === 'g1' && r.namespace === 'default'));
    const m = await httpGet(`${h.metrics}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.body, /controller_runtime_reconcile_total\{controller="gadget",result="success"\} [1-9]/);
    assert.match(m.body, /controller_runtime_reconcile_time_seconds_count\{controller="gadget"\} [1-9]/);
    assert.match(m.body, /workqueue_adds_total\{name="gadget"\} [1-9]/);
    assert.match(m.body, /workqueue_depth\{name="gadget"\} 0/);
    assert.match(m.body, /process_cpu_seconds_total/);
  } finally {
    await h.stop();
  }
});

test('a reconcile that hits a 409 is retried and then succeeds', async () => {
  const mgr = newManager();
  const attempts: string[] = [];
  let sabotaged = false;
  newControllerManagedBy(mgr).named('conflicts').for(CM).withEventFilter({ create: (o) => o.metadata.name === 'stale' }).complete(async (req, ctx) => {
    const cm = await mgr.cache.get<KubeObject>(CM, req).catch(() => undefined);
    if (!cm || (cm.data as Record<string, string> | undefined)?.done) return {};
    if (!sabotaged) {
      // Someone else writes between our read and our write.
      sabotaged = true;
      await env.client.patch(cm, { metadata: { labels: { other: 'writer' } } });
    }
    attempts.push(ctx.reconcileID);
    // Read fresh from the API on retries: the cache may lag a moment behind.
    const fresh = attempts.length > 1 ? await mgr.client.get<KubeObject>(CM, req) : cm;
    await mgr.client.update({ ...fresh, data: { done: 'yes' } });
    return {};
  });
  const h = await run(mgr);
  try {
    await env.client.create({ ...CM, metadata: { name: 'stale', namespace: 'default' } });
    const final = await eventually('the update to land', async () => {
      const cm = await env.client.get<KubeObject>(CM, { namespace: 'default', name: 'stale' });
      return (cm.data as Record<string, string> | undefined)?.done === 'yes' ? cm : undefined;
    });
    assert.equal(final.metadata.labels?.other, 'writer', 'the other writer\'s change survives');
    assert.ok(attempts.length >= 2, `expected a retry, got ${attempts.length} attempt(s)`);
    assert.notEqual(attempts[0], attempts[1], 'each reconcile has its own reconcileID');
    const m = await httpGet(`${h.metrics}/metrics`);
    assert.match(m.body, /controller_runtime_reconcile_errors_total\{controller="conflicts"\} [1-9]/);
    assert.match(m.body, /controller_runtime_reconcile_total\{controller="conflicts",result="error"\} [1-9]/);
    assert.match(m.body, /workqueue_retries_total\{name="conflicts"\} [1-9]/);
  } finally {
    await h.stop();
  }
});

test('a NotFound for the reconciled object itself, once its cache has let go too, ends the reconcile; any other NotFound is an error', async () => {
  const mgr = newManager();
  let otherTried = false;
  newControllerManagedBy(mgr).named('vanish').for(CM).withEventFilter({ create: (o) => ['gone', 'other'].includes(o.metadata.name ?? '') }).complete(async (req) => {
    const cm = await mgr.cache.get<KubeObject>(CM, req).catch(() => undefined);
    if (!cm) return {};
    if (req.name === 'other') {
      if (otherTried) return {};
      otherTried = true;
      await mgr.client.get<KubeObject>(CM, { namespace: 'default', name: 'missing-other' });
      return {};
    }
    // Deleted by someone else while this reconcile works from its cached copy, which then lets go of it.
    await env.client.delete(cm);
    await eventually('the cache lets go', async () => mgr.cache.get(CM, req).then(() => false, () => true));
    await mgr.client.patch(cm, { metadata: { labels: { touched: 'yes' } } });
    return {};
  });
  const h = await run(mgr);
  try {
    await env.client.create({ ...CM, metadata: { name: 'gone', namespace: 'default' } });
    await env.client.create({ ...CM, metadata: { name: 'other', namespace: 'default' } });
    await eventually('both reconciled', async () => {
      const m = (await httpGet(`${h.metrics}/metrics`)).body;
      return otherTried && /controller_runtime_reconcile_total\{controller="vanish",result="success"\} ([2-9]|\d\d)/.test(m);
    });
    const m = (await httpGet(`${h.metrics}/metrics`)).body;
    assert.match(m, /controller_runtime_reconcile_errors_total\{controller="vanish"\} 1\n/, 'only the NotFound for another object counts as an error');
  } finally {
    await h.stop();
  }
});

test('owned objects enqueue their owner; the owner-UID index finds them; events aggregate', async () => {
  const mgr = newManager();
  const reconciled: string[] = [];
  newControllerManagedBy(mgr).named('widget-owner').for(WIDGET).owns(CM).complete(async (req) => {
    reconciled.push(req.name);
    return {};
  });
  const h = await run(mgr);
  try {
    const w = await env.client.create<KubeObject>({ ...WIDGET, metadata: { name: 'w1', namespace: 'default' }, spec: { size: 1 } });
    await eventually('first reconcile', () => reconciled.includes('w1'));
    const n = reconciled.length;
    const cm: KubeObject = { ...CM, metadata: { name: 'w1-child', namespace: 'default' } };
    setControllerReference(cm, w);
    await env.client.create(cm);
    await eventually('owner reconcile from the child', () => reconciled.length > n && reconciled.at(-1) === 'w1');
    const children = await eventually('index', async () => {
      const l = await mgr.cache.list(CM, { index: { name: OWNER_UID_INDEX, value: w.metadata.uid! } });
      return l.length === 1 ? l : undefined;
    });
    assert.equal(children[0]!.metadata.name, 'w1-child');

    const rec = mgr.getEventRecorderFor('widget-owner');
    for (let i = 0; i < 3; i++) rec.event(w, 'Warning', 'TooSmall', 'size 1 is below the minimum');
    rec.event(w, 'Normal', 'Created', 'child created');
    await (rec as unknown as { flush(): Promise<void> }).flush();
    const events = await env.client.list<KubeObject & { reason?: string; count?: number; involvedObject?: { uid?: string } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    const mine = events.items.filter((e) => e.involvedObject?.uid === w.metadata.uid);
    assert.equal(mine.length, 2);
    assert.equal(mine.find((e) => e.reason === 'TooSmall')?.count, 3);
  } finally {
    await h.stop();
  }
});

test('the patch helper sends only changes, merges conditions by type and retries 409s', async () => {
  const w = await env.client.create<KubeObject>({ ...WIDGET, metadata: { name: 'p1', namespace: 'default' }, spec: { size: 1 } });
  // Nothing changed: nothing written.
  const noop = await new PatchHelper(env.client, w).patch(structuredClone(w));
  assert.equal(noop.metadata.resourceVersion, w.metadata.resourceVersion);

  const helper = new PatchHelper(env.client, w);
  const mine = structuredClone(w) as KubeObject & { status?: Record<string, unknown> };
  (mine.spec as Record<string, unknown>).size = 2;
  mine.metadata.labels = { tier: 'gold' };
  mine.status = { phase: 'Provisioning' };
  markTrue(mine, 'InfrastructureReady');
  markFalse(mine, 'BootstrapReady', 'Waiting', 'Info', 'waiting for data');

  // A concurrent writer sets another condition on /status meanwhile.
  await env.client.patchStatus(w, { status: { conditions: [{ type: 'ExternalThing', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } });

  const out = await helper.patch(mine);
  const stored = await env.client.get<KubeObject & { status?: Record<string, unknown> }>(WIDGET, { namespace: 'default', name: 'p1' });
  assert.equal((stored.spec as Record<string, unknown>).size, 2);
  assert.equal(stored.metadata.labels?.tier, 'gold');
  assert.equal(stored.status?.phase, 'Provisioning');
  assert.equal(getCondition(stored, 'InfrastructureReady')?.status, 'True');
  assert.equal(getCondition(stored, 'BootstrapReady')?.reason, 'Waiting');
  assert.equal(getCondition(stored, 'ExternalThing')?.status, 'True', 'the concurrent writer\'s condition survives the 409 retry');
  assert.equal(out.metadata.resourceVersion, stored.metadata.resourceVersion);

  // The helper's snapshot moved on: patching again with no change writes nothing.
  const again = await helper.patch(structuredClone(out));
  assert.equal(again.metadata.resourceVersion, stored.metadata.resourceVersion);

  // A status-only change whose snapshot is stale: the guarded write gets a 409, the helper re-reads and merges.
  const statusOnly = structuredClone(again);
  markFalse(statusOnly, 'InfrastructureReady', 'Lost', 'Error', 'gone');
  await env.client.patchStatus(w, { status: { conditions: [...((stored.status?.conditions as object[]) ?? []), { type: 'Other', status: 'False', lastTransitionTime: '2024-01-01T00:00:00Z' }] } });
  await helper.patch(statusOnly);
  const final = await env.client.get<KubeObject & { status?: Record<string, unknown> }>(WIDGET, { namespace: 'default', name: 'p1' });
  assert.equal(getCondition(final, 'InfrastructureReady')?.reason, 'Lost');
  assert.equal(getCondition(final, 'Other')?.status, 'False', 'the concurrent condition survives');
  assert.equal(getCondition(final, 'ExternalThing')?.status, 'True');
});

test('shutdown waits for an in-flight reconcile before start() resolves', async () => {
  const mgr = newManager();
  let finished = false;
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => (entered = r));
  newControllerManagedBy(mgr).named('slow').for(CM).withEventFilter({ create: (o) => o.metadata.name === 'slow-one' }).complete(async () => {
    entered();
    await new Promise((r) => setTimeout(r, 500));
    finished = true;
    return {};
  });
  const h = await run(mgr);
  await env.client.create({ ...CM, metadata: { name: 'slow-one', namespace: 'default' } });
  await inFlight;
  await h.stop();
  assert.equal(finished, true);
});

test('with leader election only the leader reconciles; a graceful stop hands over at once', async () => {
  const seen: Record<string, string[]> = { a: [], b: [] };
  const make = (id: 'a' | 'b'): Manager => {
    const mgr = new Manager({ kubeConfig: env.kc, healthProbeBindAddress: '127.0.0.1:0', leaderElection: true, leaderElectionID: 'inproc-test', metricsBindAddress: '127.0.0.1:0' });
    newControllerManagedBy(mgr).named('le').for(CM).withEventFilter({ create: (o) => o.metadata.name!.startsWith('le-'), update: () => false }).complete(async (req) => {
      seen[id]!.push(req.name);
      return {};
    });
    return mgr;
  };
  const a = make('a');
  const b = make('b');
  const ha = await run(a);
  await eventually('a leads', () => a.isLeader());
  const hb = await run(b);
  let bStopped = false;
  try {
    await env.client.create({ ...CM, metadata: { name: 'le-1', namespace: 'default' } });
    await eventually('a reconciles', () => seen.a!.includes('le-1'));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(seen.b, [], 'the follower must not reconcile');
    assert.equal((await httpGet(`${hb.probe}/readyz`)).status, 500);
    await ha.stop(); // releases the lease
    await eventually('b takes over', () => b.isLeader(), 8000);
    await eventually('b reconciles', () => seen.b!.includes('le-1'));
    assert.equal((await eventually('b ready', async () => ((await httpGet(`${hb.probe}/readyz`)).status === 200 ? 200 : undefined))), 200);
    await hb.stop();
    bStopped = true;
  } finally {
    if (!bStopped) await hb.stop();
  }
});
