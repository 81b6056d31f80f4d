/**
 * A minimal infrastructure provider, the one docs/providers.md walks through. Its "cloud" is a JSON file
 * in the provider's data dir: machines are records that boot on the second look. It shows the contract's
 * three answers (done, pending, failed), config validation, idempotency and orphan listing; load it with
 * `clusterd run --provider-module ./dist/providers/example/index.js`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLike, InfrastructureProvider, ListedMachine, MachineLike, ProviderContext, ProviderFactory, ProviderMachine } from '../types.js';
import { done, failed, pending } from '../types.js';
import { invalidConfig, validateProviderConfig } from '../config.js';

interface ExampleConfig {
  flavor: 'small' | 'medium' | 'large';
  region: string;
}

interface Instance {
  providerID: string;
  cluster: string;
  machineName: string;
  machineNamespace: string;
  flavor: string;
  ip: string;
  booted: boolean;
}

const key = (m: MachineLike): string => `${m.metadata.namespace ?? 'default'}/${m.metadata.name ?? ''}`;

export const createExampleProvider: ProviderFactory & { providerName: string } = (ctx: ProviderContext) => {
  mkdirSync(ctx.dataDir, { recursive: true });
  const file = join(ctx.dataDir, 'instances.json');
  const load = (): Record<string, Instance> => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Instance>) : {});
  const save = (all: Record<string, Instance>): void => {
    // Write-then-rename: a crash never leaves half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(all, null, 2));
    renameSync(`${file}.tmp`, file);
  };
  const view = (i: Instance): ProviderMachine => ({
    providerID: i.providerID,
    addresses: [{ type: 'InternalIP', address: i.ip }, { type: 'Hostname', address: i.machineName }],
    state: i.booted ? 'Running' : 'Provisioning',
  });
  const configOf = (cluster: ClusterLike, machine?: MachineLike) =>
    validateProviderConfig<ExampleConfig>(provider, { ...cluster.spec?.infrastructure?.config, ...machine?.spec?.infrastructure?.config });

  const provider: InfrastructureProvider = {
    name: 'example',
    configSchema: {
      type: 'object',
      properties: {
        flavor: { type: 'string', enum: ['small', 'medium', 'large'], default: 'small' },
        region: { type: 'string', pattern: '^[a-z]+-[a-z]+-[0-9]+$', default: 'eu-west-1' },
      },
    },

    async reconcileClusterInfrastructure({ cluster }) {
      const cfg = configOf(cluster);
      if (cfg.errors.length > 0) return invalidConfig(cfg.errors);
      return done({ ready: true, controlPlaneEndpoint: { host: `${cluster.metadata.name}.${cfg.config.region}.example.invalid`, port: 6443 } });
    },

    async deleteClusterInfrastructure() {
      return done(undefined);
    },

    async createOrGetMachine({ cluster, machine, userData }) {
      const cfg = configOf(cluster, machine);
      if (cfg.errors.length > 0) return invalidConfig(cfg.errors);
      if (userData.length > 16 * 1024) return failed('UserDataTooLarge', `user-data is ${userData.length} bytes; the limit is 16384`);
      const all = load();
      const existing = all[key(machine)];
      if (!existing) {
        const n = Object.keys(all).length + 1;
        all[key(machine)] = {
          providerID: `example:///${cfg.config.region}/${machine.metadata.namespace ?? 'default'}/${machine.metadata.name}`,
          cluster: cluster.metadata.name ?? '',
          machineName: machine.metadata.name ?? '',
          machineNamespace: machine.metadata.namespace ?? 'default',
          flavor: cfg.config.flavor,
          ip: `10.0.${Math.floor(n / 256)}.${n % 256}`,
          booted: false,
        };
        save(all);
        return pending(1000, 'instance is booting');
      }
      if (!existing.booted) {
        existing.booted = true;
        save(all);
      }
      return done(view(existing));
    },

    async deleteMachine({ machine }) {
      const all = load();
      if (all[key(machine)]) {
        delete all[key(machine)];
        save(all);
      }
      return done(undefined);
    },

    async listMachines({ cluster }): Promise<ListedMachine[]> {
      return Object.values(load())
        .filter((i) => i.cluster === cluster.metadata.name)
        .map((i) => ({ ...view(i), machineName: i.machineName, machineNamespace: i.machineNamespace }));
    },
  };
  ctx.logger.info('example provider ready');
  return provider;
};
createExampleProvider.providerName = 'example';

export default createExampleProvider;
