/** `clusterd version`: this build, the Node.js it runs on, and the Kubernetes versions it installs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import yaml from 'js-yaml';
import { DEFAULT_KUBERNETES_VERSION } from '../bootstrap/constants.js';
import { SUPPORTED_MINORS } from '../bootstrap/flags.js';
import { repoRoot } from '../lib/paths.js';

export interface VersionInfo {
  clusterdVersion: string;
  nodeVersion: string;
  platform: string;
  /** What `generate cluster` and the bootstrap use when a manifest names no version. */
  defaultKubernetesVersion: string;
  /** The Kubernetes minors clusterd installs, oldest to newest. */
  supportedKubernetesMinors: string[];
}

export function clusterdVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function versionInfo(): VersionInfo {
  // The bootstrap agent's flag tables are what decides: a minor without one is refused at preflight.
  const minors = [...SUPPORTED_MINORS].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).map((m) => `v${m}`);
  return {
    clusterdVersion: clusterdVersion(),
    nodeVersion: process.version,
    platform: `${process.platform}/${process.arch}`,
    defaultKubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    supportedKubernetesMinors: minors,
  };
}

export function versionCommand(): Command {
  return new Command('version')
    .description('print the clusterd version and the Kubernetes versions it supports')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .addHelpText('after', `
Examples:
  clusterd version
  clusterd version -o json`)
    .action((opts: { output: string }) => {
      const v = versionInfo();
      if (opts.output === 'json') process.stdout.write(JSON.stringify(v, null, 2) + '\n');
      else if (opts.output === 'yaml') process.stdout.write(yaml.dump(v));
      else {
        process.stdout.write([
          `clusterd ${v.clusterdVersion} (node ${v.nodeVersion}, ${v.platform})`,
          `Kubernetes: ${v.supportedKubernetesMinors[0]} to ${v.supportedKubernetesMinors.at(-1)} supported, ${v.defaultKubernetesVersion} by default`,
          '',
        ].join('\n'));
      }
    });
}
