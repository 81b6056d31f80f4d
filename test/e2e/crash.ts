/**
 * Issue 6 scenario 6: the daemon is SIGKILLed at random moments during scenarios 1, 2, 4, 3 and 5 and
 * restarted on the same data dir. Every scenario must still converge with provider machines = Machines =
 * Nodes and no MachineSet holding more Machines than its replicas. The seed is printed so that a failing
 * run can be replayed with E2E_SEED. Defined once, run on each management backend (crash.test.ts,
 * crash-kube.test.ts); on the real one only the daemon dies, the management cluster stays up.
 */
import { after, before, test, type TestContext } from 'node:test';
import { E2E, type Backend } from './harness.js';
import { deleteEverything, quickstartConverges, scaleWorkers, settles, standaloneWorker, upgrade } from './scenarios.js';

export function crashSuite(backend: Backend, addressRange: string): void {
  const e = new E2E({ backend, addressRange });
  e.retryWhileDownMs = 60_000;

  const seed = Number(process.env.E2E_SEED ?? Date.now() % 100_000);
  let state = seed;
  /** A small deterministic PRNG (mulberry32), so E2E_SEED replays the same kill moments. */
  function random(): number {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Runs the scenario while killing the daemon `kills` times, each after a random 1–maxDelayMs of uptime,
   * restarting it at once on the same data dir. Waits for the last restart before returning.
   */
  async function underKills(t: TestContext, kills: number, maxDelayMs: number, scenario: () => Promise<void>): Promise<void> {
    let done = false;
    const chaos = (async () => {
      for (let i = 0; i < kills && !done; i++) {
        const delay = 1000 + Math.floor(random() * maxDelayMs);
        await new Promise((r) => setTimeout(r, delay));
        if (done) break;
        await e.kill();
        t.diagnostic(`SIGKILL after ${delay} ms`);
        await e.start();
      }
    })();
    try {
      await scenario();
    } finally {
      done = true;
      await chaos;
    }
  }

  before(async () => {
    await e.start();
  });

  after(async () => {
    await e.close();
  });

  test(`6. quickstart converges across kills (seed ${seed})`, async (t) => {
    await underKills(t, 2, 12_000, () => quickstartConverges(e, 180_000));
  });

  test('6. scale 10 then 2 across kills', async (t) => {
    await underKills(t, 2, 8_000, () => scaleWorkers(e, 180_000));
  });

  test('6. standalone worker across kills', async (t) => {
    await underKills(t, 1, 4_000, () => standaloneWorker(e, 120_000));
  });

  test('6. upgrades across kills', async (t) => {
    await underKills(t, 2, 15_000, async () => {
      await upgrade(e, 200_000, false);
    });
    await settles(e, 3, 2, 60_000);
  });

  test('6. deleting the Cluster across a kill leaves nothing', async (t) => {
    await underKills(t, 1, 2_000, () => deleteEverything(e, 120_000));
  });
}
