/**
 * `clusterd generate cluster NAME`: a Cluster and its worker MachineDeployment, ready for `kubectl apply -f -`,
 * as `clusterctl generate cluster` prints a cluster template.
 */
import { Command, InvalidArgumentError } from 'commander';
import yaml from 'js-yaml';
import { API_VERSION } from '../api/v1alpha1/index.js';
import { DEFAULT_KUBERNETES_VERSION } from '../bootstrap/constants.js';
import { CliError, ExitCode } from './errors.js';
import { versionInfo } from './version.js';

export interface GenerateOptions {
  kubernetesVersion: string;
  controlPlaneMachineCount: number;
  workerMachineCount: number;
  provider: string;
  flavor?: string;
  namespace: string;
  podCidr: string;
  serviceCidr: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The in-memory provider's machine flavors (providers/inmemory/provider.ts validates the same list). */
const INMEMORY_FLAVORS = ['small', 'medium', 'large'];

/** Checks what the API server would refuse, so a mistake is reported here, in the flag's terms. */
export function validateGenerate(name: string, o: GenerateOptions): void {
  const usage = (m: string): never => { throw new CliError(m, ExitCode.Usage); };
  // The MachineDeployment is NAME-workers and Machines add a suffix: keep the name a DNS label with room for both.
  if (!DNS_LABEL.test(name) || name.length > 40) usage(`cluster name "${name}": must be lowercase letters, digits and '-', start and end with a letter or digit, at most 40 characters`);
  if (!DNS_LABEL.test(o.namespace)) usage(`--namespace "${o.namespace}": not a valid namespace name`);
  const m = /^v1\.(\d+)\.(\d+)$/.exec(o.kubernetesVersion);
  if (!m) usage(`--kubernetes-version "${o.kubernetesVersion}": must look like v1.MINOR.PATCH, for example ${DEFAULT_KUBERNETES_VERSION}`);
  const supported = versionInfo().supportedKubernetesMinors;
  if (!supported.includes(`v1.${m![1]}`)) usage(`--kubernetes-version ${o.kubernetesVersion}: clusterd supports ${supported[0]} to ${supported.at(-1)} (\`clusterd version\` lists them)`);
  if (![1, 3, 5, 7].includes(o.controlPlaneMachineCount)) usage(`--control-plane-machine-count ${o.controlPlaneMachineCount}: must be 1, 3, 5 or 7 (an odd number, for etcd quorum)`);
  if (o.provider === 'inmemory' && o.flavor !== undefined && !INMEMORY_FLAVORS.includes(o.flavor)) usage(`--flavor "${o.flavor}": the inmemory provider has ${INMEMORY_FLAVORS.join(', ')}`);
}

export function generateCluster(name: string, o: GenerateOptions): string {
  validateGenerate(name, o);
  const infra = { ...(o.flavor ? { config: { flavor: o.flavor } } : {}) };
  const pool = `${name}-workers`;
  const cluster = {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name, namespace: o.namespace },
    spec: {
      clusterNetwork: { services: { cidrBlocks: [o.serviceCidr] }, pods: { cidrBlocks: [o.podCidr] }, serviceDomain: 'cluster.local' },
      infrastructure: { provider: o.provider, config: {} },
      controlPlane: { replicas: o.controlPlaneMachineCount, version: o.kubernetesVersion, machineTemplate: { infrastructure: infra } },
    },
  };
  const md = {
    apiVersion: API_VERSION,
    kind: 'MachineDeployment',
    metadata: { name: pool, namespace: o.namespace },
    spec: {
      clusterName: name,
      replicas: o.workerMachineCount,
      selector: { matchLabels: { pool } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: { pool } }, spec: { clusterName: name, version: o.kubernetesVersion, infrastructure: infra } },
    },
  };
  const dump = (v: unknown): string => yaml.dump(v, { lineWidth: -1, noRefs: true });
  return [
    `# Cluster ${o.namespace}/${name}: ${o.controlPlaneMachineCount} control-plane and ${o.workerMachineCount} worker Machines, Kubernetes ${o.kubernetesVersion}, provider ${o.provider}.`,
    '# Apply with: kubectl apply -f - ; then follow it with: clusterd describe cluster ' + name + (o.namespace !== 'default' ? ` -n ${o.namespace}` : '') + ' --watch',
    dump(cluster).trimEnd(),
    '---',
    dump(md),
  ].join('\n');
}

function count(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`--${flag} must be a whole number, got "${v}"`);
    return Number(v);
  };
}

export function generateCommand(): Command {
  const generate = new Command('generate').description('print manifests ready to apply');
  generate.command('cluster')
    .description('print a Cluster and its worker MachineDeployment, ready for kubectl apply')
    .argument('<name>', 'name of the Cluster')
    .option('--kubernetes-version <version>', 'Kubernetes version of every Machine', DEFAULT_KUBERNETES_VERSION)
    .option('--control-plane-machine-count <n>', 'control-plane Machines: 1, 3, 5 or 7', count('control-plane-machine-count'), 1)
    .option('--worker-machine-count <n>', 'worker Machines in the MachineDeployment', count('worker-machine-count'), 0)
    .option('--provider <name>', 'infrastructure provider', 'inmemory')
    .option('--flavor <flavor>', 'the provider\'s machine flavor (inmemory: small, medium, large)')
    .option('-n, --namespace <ns>', 'namespace of the objects', 'default')
    .option('--pod-cidr <cidr>', 'pod network', '192.168.0.0/16')
    .option('--service-cidr <cidr>', 'service network', '10.96.0.0/12')
    .addHelpText('after', `
Examples:
  # three control-plane machines and three workers, applied at once
  clusterd generate cluster demo --control-plane-machine-count 3 --worker-machine-count 3 | kubectl apply -f -

  # a small development cluster in its own namespace, written to a file to edit first
  clusterd generate cluster dev -n team-a --kubernetes-version ${DEFAULT_KUBERNETES_VERSION} --flavor medium > dev.yaml`)
    .action((name: string, opts: GenerateOptions) => {
      process.stdout.write(generateCluster(name, opts));
    });
  return generate;
}
