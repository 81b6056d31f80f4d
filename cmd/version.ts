/** `clusterd version`: this build, the Node.js it runs on, and the Kubernetes versions it installs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import yaml from 'js-yaml';
import { DEFAULT_KUBERNETES_VERSION, MIN_KUBERNETES_VERSION } from '../bootstrap/constants.js';
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

const minorOf = (v: string): number => Number(/^v1\.(\d+)\./.exec(v)?.[1] ?? NaN);

export function versionInfo(): VersionInfo {
  const lo = minorOf(MIN_KUBERNETES_VERSION);
  const hi = minorOf(DEFAULT_KUBERNETES_VERSION);
  const minors: string[] = [];
  for (let m = lo; m <= hi; m++) minors.push(`v1.${m}`);
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
