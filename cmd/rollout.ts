/** `clusterd rollout undo|history md NAME`: MachineDeployment rollouts, as `kubectl rollout` for Deployments. */
import { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import type { MachineDeployment, MachineSet } from '../api/v1alpha1/index.js';
import { rollbackTemplate } from '../controllers/machinedeployment/rollback.js';
import { revisionOf } from '../controllers/machinedeployment/machinesets.js';
import { MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../controllers/shared/gvk.js';
import { isControlledBy } from '../controllers/shared/owner.js';
import { Client } from '../runtime/client.js';
import type { KubeObject } from '../runtime/types.js';

interface Target {
  client: Client;
  md: MachineDeployment & KubeObject;
  sets: MachineSet[];
}

async function load(kind: string, name: string, opts: { namespace: string; kubeconfig?: string }): Promise<Target> {
  if (!['md', 'machinedeployment', 'machinedeployments'].includes(kind.toLowerCase())) {
    throw new Error(`KIND: only md (MachineDeployment) is supported, got "${kind}"`);
  }
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  const client = new Client(kc, { userAgent: 'clusterd-rollout' });
  const md = await client.get<MachineDeployment & KubeObject>(MACHINEDEPLOYMENT_GVK, { namespace: opts.namespace, name });
  const sets = ((await client.list<KubeObject>(MACHINESET_GVK, { namespace: opts.namespace })).items as (MachineSet & KubeObject)[]).filter((ms) => isControlledBy(ms, md));
  return { client, md, sets };
}

const common = (c: Command): Command =>
  c.argument('<kind>', 'md').argument('<name>', 'MachineDeployment name')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)');

export function rolloutCommand(): Command {
  const rollout = new Command('rollout').description('manage MachineDeployment rollouts');
  rollout.addCommand(common(new Command('undo').description('roll back to a previous template revision'))
    .option('--to-revision <n>', 'revision to roll back to (default: the previous one)', '0')
    .action(async (kind: string, name: string, opts: { namespace: string; kubeconfig?: string; toRevision: string }) => {
      const to = Number(opts.toRevision);
      if (!Number.isInteger(to) || to < 0) throw new Error(`--to-revision: must be a non-negative integer, got "${opts.toRevision}"`);
      const t = await load(kind, name, opts);
      try {
        const { revision, template } = rollbackTemplate(t.md, t.sets, to);
        // Replace the whole template (a merge patch would keep labels the old revision did not have).
        await t.client.patch(t.md, [{ op: 'test', path: '/metadata/resourceVersion', value: t.md.metadata.resourceVersion }, { op: 'replace', path: '/spec/template', value: template }], { type: 'json' });
        process.stdout.write(`machinedeployment.clusterd.dev/${name} rolled back to revision ${revision}\n`);
      } finally {
        t.client.close();
      }
    }));
  rollout.addCommand(common(new Command('history').description('list template revisions'))
    .action(async (kind: string, name: string, opts: { namespace: string; kubeconfig?: string }) => {
      const t = await load(kind, name, opts);
      t.client.close();
      const rows = t.sets.filter((ms) => revisionOf(ms) > 0).sort((a, b) => revisionOf(a) - revisionOf(b))
        .map((ms) => `${String(revisionOf(ms)).padEnd(9)} ${(ms.metadata.name ?? '').padEnd(40)} ${ms.spec.template.spec.version ?? ''}`);
      process.stdout.write(`machinedeployment.clusterd.dev/${name}\n${'REVISION'.padEnd(9)} ${'MACHINESET'.padEnd(40)} VERSION\n${rows.join('\n')}\n`);
    }));
  return rollout;
}
