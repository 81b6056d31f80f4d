/**
 * A pure rollout simulator: a world of one MachineDeployment, its MachineSets and their Machines, in which a
 * seeded PRNG picks, step by step, who acts next: the MachineDeployment controller, one MachineSet's
 * controller, the infrastructure (a Machine becomes ready, a deleted Machine goes away) or the user (OnDelete:
 * deletes one outdated Machine; a mid-rollout scale). The controllers' turns call the same pure decision
 * functions the reconcilers call (decideRollout, resizePatches, historyToDelete, decideReplicas,
 * frozenByOnDelete, computeStatus, computeMDStatus), so a change in them shows as a diff of the golden logs.
 * There is no cache lag here: each actor sees the world as it is; the reconcilers' expectations cover lag.
 *
 * Every step is checked against the rollout's promises: never more Machines than replicas + maxSurge, never
 * fewer available than replicas - maxUnavailable, and the run ends, with exactly `replicas` available Machines
 * all on the new template.
 */
import { API_VERSION, Annotations, Labels, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { stableJson } from '../../controllers/shared/stable-json.js';
import { templateHash } from '../../controllers/shared/template-hash.js';
import { findNewMachineSet, maxRevision, oldMachineSets, replicasOf, revisionOf } from '../../controllers/machinedeployment/machinesets.js';
import { newMachineSetFor } from '../../controllers/machinedeployment/new-machineset.js';
import { computeMDStatus } from '../../controllers/machinedeployment/status.js';
import { resolveStrategy } from '../../controllers/machinedeployment/strategy.js';
import { decideRollout, historyToDelete, resizePatches } from '../../controllers/machinedeployment/sync.js';
import { machineFromTemplate } from '../../controllers/machineset/machine-template.js';
import { MAX_CREATES_PER_PASS, decideReplicas, frozenByOnDelete } from '../../controllers/machineset/replicas.js';
import { computeStatus } from '../../controllers/machineset/status.js';
import { isDeleting, isMachineAvailable } from '../../controllers/shared/machine-state.js';
import { getControllerOf } from '../../runtime/meta.js';

export interface Scenario {
  /** Names the golden file: test/controllers/testdata/rollout-<name>.log.golden (not .log: .gitignore drops those). */
  name: string;
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  strategy?: 'RollingUpdate' | 'OnDelete';
  /** Mid-rollout, once the new MachineSet has its first available Machine, the user scales to this. */
  scaleTo?: number;
  /** Check the invariants against these instead of the strategy's own (to show that they can fail). */
  checkedAs?: { maxSurge: number; maxUnavailable: number };
}

export interface SimResult {
  log: string[];
  /** Steps taken, no-ops included. */
  steps: number;
}

const MAX_STEPS = 20_000;
const START = Date.parse('2026-01-01T00:00:00Z');

/** mulberry32: small, seedable, and the same sequence on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type SimMachine = Machine & { readyAtStep: number };

interface World {
  step: number;
  md: MachineDeployment;
  sets: MachineSet[];
  machines: SimMachine[];
  uids: number;
  /** Short names for the log: ms1, ms2 ... and m1, m2 ... in creation order. */
  alias: Map<string, string>;
  msCount: number;
  mCount: number;
}

export class InvariantError extends Error {}

export function simulate(sc: Scenario, seed: number): SimResult {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const w = initialWorld(sc, rand);
  const log: string[] = [];
  const line = (who: string, what: string): void => {
    log.push(`${String(w.step).padStart(4, '0')} ${who.padEnd(9)} ${what} | ${summary(w)}`);
  };
  line('[start]', `ms1 on v1.36.0, strategy ${sc.strategy ?? 'RollingUpdate'} maxSurge ${sc.maxSurge} maxUnavailable ${sc.maxUnavailable}`);
  w.md.spec.template = { ...w.md.spec.template, spec: { ...w.md.spec.template.spec, version: 'v1.37.0' } };
  w.md.metadata.generation = (w.md.metadata.generation ?? 1) + 1;
  line('[user]', 'template v1.36.0 -> v1.37.0');

  const bounds = { max: sc.replicas, min: sc.replicas };
  let scaled = sc.scaleTo === undefined;
  let idle = 0;
  for (; w.step < MAX_STEPS; w.step++) {
    if (!scaled && newSetAvailable(w) > 0) {
      scaled = true;
      line('[user]', `scale ${w.md.spec.replicas ?? 1} -> ${sc.scaleTo!}`);
      w.md.spec.replicas = sc.scaleTo!;
      w.md.metadata.generation = (w.md.metadata.generation ?? 1) + 1;
      bounds.max = Math.max(bounds.max, sc.scaleTo!);
      bounds.min = Math.min(bounds.min, sc.scaleTo!);
    }
    const actors: Array<() => [string, string] | undefined> = [() => mdPass(w), ...w.sets.map((ms) => () => msPass(w, ms, rand))];
    const events = infraEvents(w);
    if (events.length > 0) actors.push(() => pick(events)());
    const outdated = userCandidates(w);
    if (outdated.length > 0) actors.push(() => userDeletes(w, pick(outdated)));
    const done = pick(actors)();
    if (done) {
      idle = 0;
      line(...done);
      checkInvariants(w, sc, bounds, log);
    } else if (++idle % 8 === 0 && scaled && outdated.length === 0 && !w.machines.some((m) => isDeleting(m) || !m.status) && settled(w)) {
      // (Looked for only every few idle steps: the dry run of every controller is the costly part.)
      checkFinal(w, log);
      return { log, steps: w.step };
    }
  }
  throw new InvariantError(`${sc.name} seed ${seed}: no steady state after ${MAX_STEPS} steps\n${tail(log)}`);
}

function initialWorld(sc: Scenario, rand: () => number): World {
  const md: MachineDeployment = {
    apiVersion: API_VERSION,
    kind: 'MachineDeployment',
    metadata: { name: 'md', namespace: 'default', uid: 'uid-md', generation: 1, creationTimestamp: new Date(START).toISOString(), annotations: { [Annotations.revision]: '1' } },
    spec: {
      clusterName: 'c',
      replicas: sc.replicas,
      selector: { matchLabels: { pool: 'a' } },
      template: { metadata: { labels: { pool: 'a' } }, spec: { clusterName: 'c', version: 'v1.36.0', bootstrap: { dataSecretName: 'boot' }, infrastructure: { provider: 'inmemory' } } },
      strategy: sc.strategy === 'OnDelete'
        ? { type: 'OnDelete' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: sc.maxSurge, maxUnavailable: sc.maxUnavailable, deletePolicy: 'Oldest' } },
    },
  };
  const w: World = { step: 0, md, sets: [], machines: [], uids: 0, alias: new Map(), msCount: 0, mCount: 0 };
  const s = resolveStrategy(md);
  const ms = createSet(w, newMachineSetFor(md, sc.replicas, 1, s.maxSurge));
  for (let i = 0; i < sc.replicas; i++) createMachine(w, ms, rand).status = readyStatus(START);
  ms.status = computeStatus({ ms, machines: ownedBy(w, ms), now: START });
  md.status = computeMDStatus({ md, newMS: ms, old: [], maxUnavailable: s.maxUnavailable, skew: undefined, now: START }).status;
  return w;
}

const now = (w: World): number => START + (w.step + 1) * 1000;
const name = (o: { metadata: { name?: string } }): string => o.metadata.name ?? '';
const aliasOf = (w: World, o: { metadata: { name?: string } }): string => w.alias.get(name(o)) ?? name(o);
const ownedBy = (w: World, ms: MachineSet): SimMachine[] => w.machines.filter((m) => getControllerOf(m)?.uid === ms.metadata.uid);
const readyStatus = (t: number): Machine['status'] => ({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True', reason: 'NodeReady', lastTransitionTime: new Date(t).toISOString() }] });
const available = (w: World, m: Machine): boolean => isMachineAvailable(m, w.md.spec.minReadySeconds ?? 0, now(w));
const onNewTemplate = (w: World, m: Machine): boolean => m.metadata.labels?.[Labels.templateHash] === templateHash(w.md.spec.template);

function createSet(w: World, ms: MachineSet): MachineSet {
  ms.metadata.uid = `uid-${++w.uids}`;
  ms.metadata.generation = 1;
  ms.metadata.creationTimestamp = new Date(now(w)).toISOString();
  w.alias.set(name(ms), `ms${++w.msCount}`);
  w.sets.push(ms);
  return ms;
}

function createMachine(w: World, ms: MachineSet, rand: () => number): SimMachine {
  const m = machineFromTemplate(ms) as SimMachine;
  m.metadata.name = `${m.metadata.generateName ?? ''}${String(w.mCount + 1).padStart(5, '0')}`;
  m.metadata.uid = `uid-${++w.uids}`;
  m.metadata.creationTimestamp = new Date(now(w)).toISOString();
  // The provider and kubeadm take a while: ready 1 to 4 steps after creation at the earliest.
  m.readyAtStep = w.step + 1 + Math.floor(rand() * 4);
  w.alias.set(name(m), `m${++w.mCount}`);
  w.machines.push(m);
  return m;
}

/** One pass of the MachineDeployment controller, as reconciler.ts's step() for an un-paused, valid spec. */
function mdPass(w: World): [string, string] | undefined {
  const md = w.md;
  const s = resolveStrategy(md);
  const desired = md.spec.replicas ?? 1;
  const newMS = findNewMachineSet(md, w.sets);
  const old = oldMachineSets(w.sets, newMS);
  const next = decideRollout({ desired, newMS, old, strategy: s, statusReplicas: md.status?.replicas ?? 0 });
  const did: string[] = [];
  if (next.kind === 'create') {
    const ms = createSet(w, newMachineSetFor(md, next.replicas, next.revision, s.maxSurge));
    did.push(`create ${aliasOf(w, ms)} (revision ${next.revision}) replicas ${next.replicas}`);
  } else if (newMS) {
    const want = Math.max(revisionOf(newMS), maxRevision(old) + 1);
    if (revisionOf(newMS) !== want) {
      newMS.metadata.annotations = { ...newMS.metadata.annotations, [Annotations.revision]: String(want) };
      did.push(`${aliasOf(w, newMS)} revision ${want}`);
    } else {
      md.metadata.annotations = { ...md.metadata.annotations, [Annotations.revision]: String(want) };
      if (next.kind === 'resize') {
        for (const p of resizePatches(desired, s.maxSurge, [newMS, ...old], next.sizes, next.annotateOthers)) {
          const before = stableJson(p.ms.metadata.annotations ?? {});
          p.ms.metadata.annotations = { ...p.ms.metadata.annotations, ...p.annotations };
          const from = replicasOf(p.ms);
          if (p.replicas !== undefined && p.replicas !== from) {
            p.ms.spec.replicas = p.replicas;
            p.ms.metadata.generation = (p.ms.metadata.generation ?? 1) + 1;
            did.push(`${aliasOf(w, p.ms)} ${from}->${p.replicas}`);
          } else if (before !== stableJson(p.ms.metadata.annotations)) {
            did.push(`${aliasOf(w, p.ms)} annotated ${desired}/${desired + s.maxSurge}`);
          }
        }
      }
      if (next.cleanup) {
        for (const ms of historyToDelete(old, md.spec.revisionHistoryLimit ?? 1)) {
          w.sets = w.sets.filter((x) => x !== ms);
          did.push(`delete ${aliasOf(w, ms)}`);
        }
      }
    }
  }
  const freshNew = findNewMachineSet(md, w.sets);
  md.status = computeMDStatus({ md, newMS: freshNew, old: oldMachineSets(w.sets, freshNew), maxUnavailable: s.maxUnavailable, skew: undefined, now: now(w) }).status;
  return did.length > 0 ? ['[MD]', did.join(', ')] : undefined;
}

/** One pass of one MachineSet's controller, as machineset/reconciler.ts's manageReplicas and status. */
function msPass(w: World, ms: MachineSet, rand: () => number): [string, string] | undefined {
  const owned = ownedBy(w, ms);
  const action = decideReplicas(ms, owned, frozenByOnDelete(ms, w.md), MAX_CREATES_PER_PASS);
  let did: string | undefined;
  if (action.kind === 'create') {
    const made = Array.from({ length: action.count }, () => createMachine(w, ms, rand));
    did = `create ${made.map((m) => aliasOf(w, m)).join(' ')}`;
  } else if (action.kind === 'delete') {
    for (const m of action.machines) m.metadata.deletionTimestamp = new Date(now(w)).toISOString();
    did = `delete ${action.machines.map((m) => aliasOf(w, m)).join(' ')}`;
  }
  ms.status = computeStatus({ ms, machines: ownedBy(w, ms), now: now(w) });
  return did ? [`[${aliasOf(w, ms)}]`, did] : undefined;
}

/** What the infrastructure can do now: a Machine past its boot time becomes ready, a deleted one goes away. */
function infraEvents(w: World): Array<() => [string, string]> {
  const out: Array<() => [string, string]> = [];
  for (const m of w.machines) {
    if (isDeleting(m)) {
      out.push(() => {
        w.machines = w.machines.filter((x) => x !== m);
        return ['[infra]', `${aliasOf(w, m)} gone`];
      });
    } else if (!m.status && m.readyAtStep <= w.step) {
      out.push(() => {
        m.status = readyStatus(now(w));
        return ['[infra]', `${aliasOf(w, m)} ready`];
      });
    }
  }
  return out;
}

/**
 * OnDelete: a careful user deletes one outdated Machine at a time, and only while every Machine is there
 * and available (no deletion still under way).
 */
function userCandidates(w: World): SimMachine[] {
  if (w.md.spec.strategy?.type !== 'OnDelete') return [];
  const active = w.machines.filter((m) => !isDeleting(m));
  if (w.machines.length !== active.length || active.length !== (w.md.spec.replicas ?? 1)) return [];
  if (!active.every((m) => available(w, m))) return [];
  return active.filter((m) => !onNewTemplate(w, m));
}

function userDeletes(w: World, m: SimMachine): [string, string] {
  m.metadata.deletionTimestamp = new Date(now(w)).toISOString();
  return ['[user]', `delete ${aliasOf(w, m)}`];
}

function newSetAvailable(w: World): number {
  const newMS = findNewMachineSet(w.md, w.sets);
  return newMS ? ownedBy(w, newMS).filter((m) => !isDeleting(m) && available(w, m)).length : 0;
}

/** No controller would change anything: every pass, run on a copy, leaves the world as it was. */
function settled(w: World): boolean {
  const copy: World = { ...w, md: structuredClone(w.md), sets: structuredClone(w.sets), machines: structuredClone(w.machines), alias: new Map(w.alias) };
  const before = stableJson({ md: copy.md, sets: copy.sets, machines: copy.machines });
  const frozen = (): number => 0;
  if (mdPass(copy)) return false;
  for (const ms of copy.sets) if (msPass(copy, ms, frozen)) return false;
  return stableJson({ md: copy.md, sets: copy.sets, machines: copy.machines }) === before;
}

function summary(w: World): string {
  const sets = w.sets.map((ms) => {
    const own = ownedBy(w, ms).filter((m) => !isDeleting(m));
    return `${aliasOf(w, ms)} ${replicasOf(ms)}[${own.length}/${own.filter((m) => available(w, m)).length}]`;
  });
  const active = w.machines.filter((m) => !isDeleting(m));
  const deleting = w.machines.length - active.length;
  return `${sets.join(' ')} | machines ${active.length}${deleting > 0 ? ` (+${deleting} deleting)` : ''} available ${active.filter((m) => available(w, m)).length}`;
}

function checkInvariants(w: World, sc: Scenario, bounds: { max: number; min: number }, log: string[]): void {
  const active = w.machines.filter((m) => !isDeleting(m));
  const avail = active.filter((m) => available(w, m)).length;
  const specTotal = w.sets.reduce((n, ms) => n + replicasOf(ms), 0);
  const fail = (msg: string): never => {
    throw new InvariantError(`${sc.name}: ${msg}\n${tail(log)}`);
  };
  if (sc.strategy === 'OnDelete') {
    // Nothing surges: a Machine is replaced only after the user deleted one.
    if (active.length > bounds.max) fail(`${active.length} Machines, more than the ${bounds.max} replicas`);
    if (specTotal > bounds.max) fail(`MachineSets ask for ${specTotal} Machines, more than the ${bounds.max} replicas`);
    if (avail < bounds.min - 1) fail(`only ${avail} Machines available; the user deletes one at a time`);
    return;
  }
  const limits = sc.checkedAs ?? sc;
  const maxTotal = bounds.max + limits.maxSurge;
  const minAvailable = Math.max(0, bounds.min - limits.maxUnavailable);
  if (specTotal > maxTotal) fail(`MachineSets ask for ${specTotal} Machines, more than replicas + maxSurge = ${maxTotal}`);
  if (active.length > maxTotal) fail(`${active.length} Machines, more than replicas + maxSurge = ${maxTotal}`);
  if (avail < minAvailable) fail(`only ${avail} Machines available, fewer than replicas - maxUnavailable = ${minAvailable}`);
}

function checkFinal(w: World, log: string[]): void {
  const desired = w.md.spec.replicas ?? 1;
  const fail = (msg: string): never => {
    throw new InvariantError(`steady state is wrong: ${msg}\n${tail(log)}`);
  };
  if (w.machines.length !== desired) fail(`${w.machines.length} Machines, want ${desired}`);
  if (!w.machines.every((m) => !isDeleting(m) && available(w, m))) fail('a Machine is not available');
  if (!w.machines.every((m) => onNewTemplate(w, m))) fail('a Machine is on the old template');
  const newMS = findNewMachineSet(w.md, w.sets);
  if (!newMS || replicasOf(newMS) !== desired) fail('the new MachineSet does not carry every replica');
  if (oldMachineSets(w.sets, newMS).some((ms) => replicasOf(ms) !== 0)) fail('an old MachineSet still has replicas');
  const st = w.md.status;
  if (st?.updatedReplicas !== desired || st.availableReplicas !== desired || st.replicas !== desired) fail(`MachineDeployment status ${stableJson(st ?? {})}`);
  log.push(`done: ${w.machines.length} Machines on v1.37.0, all available | ${summary(w)}`);
}

const tail = (log: readonly string[]): string => log.slice(-15).join('\n');
