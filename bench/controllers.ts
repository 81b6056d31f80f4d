/**
 * Controllers benchmark (issue 6): a real `clusterd run` (embedded API server, in-memory provider, the four
 * controllers), driven with the real kubectl through the e2e harness. Times `kubectl apply -f examples/quickstart.yaml`
 * until 3 control-plane and 3 worker Machines are Running with Ready Nodes, then `kubectl scale` of the workers
 * from 3 to BENCH_CONTROLLERS_WORKERS (default 50) until every Machine has its Ready Node.
 */
import { E2E } from '../test/e2e/harness.js';
import { quickstartConverges, settles } from '../test/e2e/scenarios.js';
import type { BenchSection } from './types.js';

export async function benchControllers(): Promise<BenchSection> {
  const workers = Number(process.env.BENCH_CONTROLLERS_WORKERS ?? 50);
  const e = new E2E({ addressRange: '127.42.0.0/20' });
  try {
    const t0 = performance.now();
    await e.start();
    const startSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await quickstartConverges(e, 240_000);
    const quickstartSeconds = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    await e.kubectl('scale', 'md', 'demo-workers', `--replicas=${workers}`);
    await settles(e, 3, workers, 900_000);
    await e.waitFor('md/demo-workers', `{.status.readyReplicas}=${workers}`, 120_000);
    const scaleSeconds = (performance.now() - t2) / 1000;
    const figures = {
      daemonStartSeconds: Number(startSeconds.toFixed(2)),
      quickstartReadySeconds: Number(quickstartSeconds.toFixed(2)),
      scaleWorkers: workers,
      scaleReadySeconds: Number(scaleSeconds.toFixed(2)),
    };
    const markdown = [
      'A real `clusterd run` (own API server, in-memory provider, Cluster/Machine/MachineSet/MachineDeployment controllers), driven by the real kubectl',
      '(polled once a second, so times are rounded up to about a second).',
      '',
      '| step | time |',
      '| --- | --- |',
      `| daemon start until its API server serves the CRDs | ${figures.daemonStartSeconds} s |`,
      `| \`kubectl apply -f examples/quickstart.yaml\` until demo is Provisioned 3/3, demo-workers 3/3 ready, 6 Ready Nodes, Machines = provider machines = Nodes | ${figures.quickstartReadySeconds} s |`,
      `| \`kubectl scale md demo-workers --replicas=${workers}\` until ${workers} workers are Running with Ready Nodes | ${figures.scaleReadySeconds} s |`,
    ].join('\n');
    return { title: `Controllers: quickstart and scale 3 → ${workers} workers through clusterd run`, markdown, figures };
  } catch (err) {
    process.stderr.write(`controllers bench failed; the daemon's last output:\n${e.output().slice(-3000)}\n`);
    throw err;
  } finally {
    await e.close();
  }
}
