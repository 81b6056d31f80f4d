/**
 * Where the per-minor version tables come from, and how they are read back.
 *
 * Two tables per Kubernetes minor, both generated (bootstrap/versions/generate.ts) and committed as data:
 *   - flags-<minor>.json: every flag kube-apiserver, kube-controller-manager, kube-scheduler and the etcd that release's
 *     kubeadm pins print in their `--help`, from the binaries tools/kube/build.sh compiled for the pinned patch release;
 *   - components-<minor>.json: the etcd, CoreDNS and pause versions kubeadm of that release pins, read from
 *     cmd/kubeadm/app/constants/constants.go of that k8s.io/kubernetes module version.
 * A test regenerates both from the binaries and module sources present on the machine and fails on drift.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findKubeBinary, type KubeBinary } from '../../lib/kube-binaries.js';
import { repoRoot } from '../../lib/paths.js';
import { minorOf } from '../../lib/version.js';

export const FLAG_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export type Component = (typeof FLAG_COMPONENTS)[number];

export interface FlagTableFile {
  kubernetesVersion: string;
  source: string;
  flags: Record<Component, string[]>;
}

export interface ComponentVersions {
  kubernetesVersion: string;
  source: string;
  /** etcd image tag (kubeadm's DefaultEtcdVersion), e.g. 3.7.0-0. */
  etcd: string;
  /** CoreDNS image tag (CoreDNSVersion), e.g. v1.14.6. */
  coredns: string;
  /** pause image tag (PauseVersion), e.g. 3.10.2. */
  pause: string;
}

export const tablesDir = (): string => join(repoRoot(), 'bootstrap', 'versions');
export const flagsFile = (minor: string): string => join(tablesDir(), `flags-${minor}.json`);
export const componentsFile = (minor: string): string => join(tablesDir(), `components-${minor}.json`);

/** The patch releases tools/kube pins (one per minor), oldest first. */
export function pinnedVersions(): string[] {
  const dir = join(repoRoot(), 'tools', 'kube', 'k8s');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((v) => /^v\d+\.\d+\.\d+$/.test(v) && existsSync(join(dir, v, 'go.mod')))
    .sort((a, b) => Number(minorOf(a)!.split('.')[1]) - Number(minorOf(b)!.split('.')[1]));
}

// ---- flags, from --help --------------------------------------------------------------------------------------

/**
 * Flag names in a --help text. Both cobra/pflag (`      --secure-port int`, `  -h, --help`) and etcd's own usage
 * (`  --name 'default'`) put each flag at the start of an indented line.
 */
export function flagsFromHelp(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/^[ \t]+(?:-[A-Za-z0-9], )?--([A-Za-z0-9][A-Za-z0-9-]*)(?=[\s=]|$)/gm)) names.add(m[1]!);
  return [...names].sort();
}

/** Runs `<binary> --help` (etcd prints it on stdout, cobra commands too; both exit 0). */
export function helpText(binary: string): string {
  try {
    return execFileSync(binary, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    // some binaries print their usage and exit non-zero; the text is what matters
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (/--/.test(text)) return text;
    throw new Error(`${binary} --help failed: ${e.message}`);
  }
}

/** The flag table of one pinned version from its built binaries, or undefined when any binary is missing. */
export function flagTableFromBinaries(version: string, find: (v: string, b: KubeBinary) => string | undefined = findKubeBinary): FlagTableFile | undefined {
  const flags = {} as Record<Component, string[]>;
  for (const c of FLAG_COMPONENTS) {
    const bin = find(version, c);
    if (!bin) return undefined;
    flags[c] = flagsFromHelp(helpText(bin));
    if (flags[c].length < 10) throw new Error(`${bin} --help listed only ${flags[c].length} flags; is it the real binary?`);
  }
  return { kubernetesVersion: version, source: `--help of kube-apiserver, kube-controller-manager, kube-scheduler and etcd built for ${version}`, flags };
}

// ---- component versions, from kubeadm's constants.go ---------------------------------------------------------

/** DefaultEtcdVersion, CoreDNSVersion and PauseVersion as constants.go declares them. */
export function componentsFromConstantsGo(text: string, version: string): ComponentVersions {
  const get = (name: string): string => {
    const m = new RegExp(`^\\s*${name}\\s*=\\s*"([^"]+)"`, 'm').exec(text);
    if (!m) throw new Error(`kubeadm constants.go of ${version} declares no ${name}`);
    return m[1]!;
  };
  return {
    kubernetesVersion: version,
    source: `k8s.io/kubernetes@${version} cmd/kubeadm/app/constants/constants.go`,
    etcd: get('DefaultEtcdVersion'),
    coredns: get('CoreDNSVersion'),
    pause: get('PauseVersion'),
  };
}

/** The k8s.io/kubernetes module source of a version in the Go module cache, or undefined when it is not there. */
export function kubernetesModuleDir(version: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let cache = env.GOMODCACHE;
  if (!cache) {
    try {
      cache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
    } catch {
      cache = env.GOPATH ? join(env.GOPATH, 'pkg', 'mod') : join(env.HOME ?? '/root', 'go', 'pkg', 'mod');
    }
  }
  const dir = join(cache, 'k8s.io', `kubernetes@${version}`);
  return existsSync(join(dir, 'cmd', 'kubeadm', 'app', 'constants', 'constants.go')) ? dir : undefined;
}

export function componentsFromModule(version: string, moduleDir = kubernetesModuleDir(version)): ComponentVersions | undefined {
  if (!moduleDir) return undefined;
  return componentsFromConstantsGo(readFileSync(join(moduleDir, 'cmd', 'kubeadm', 'app', 'constants', 'constants.go'), 'utf8'), version);
}

// ---- reading the committed tables ----------------------------------------------------------------------------

const flagCache = new Map<string, Record<Component, ReadonlySet<string>> | null>();
const componentCache = new Map<string, ComponentVersions | null>();

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/** The committed flag table of a minor ("1.37"), or undefined when there is none. */
export function committedFlags(minor: string): Record<Component, ReadonlySet<string>> | undefined {
  if (!flagCache.has(minor)) {
    const f = readJson<FlagTableFile>(flagsFile(minor));
    if (!f) flagCache.set(minor, null);
    else {
      const table = {} as Record<Component, ReadonlySet<string>>;
      for (const c of FLAG_COMPONENTS) table[c] = new Set(f.flags[c]);
      flagCache.set(minor, table);
    }
  }
  return flagCache.get(minor) ?? undefined;
}

/** The committed component versions of a minor, or undefined when there are none. */
export function committedComponents(minor: string): ComponentVersions | undefined {
  if (!componentCache.has(minor)) componentCache.set(minor, readJson<ComponentVersions>(componentsFile(minor)) ?? null);
  return componentCache.get(minor) ?? undefined;
}

/** The canonical text of a table file (sorted lists, two-space JSON, final newline), so regeneration is byte-stable. */
export function tableText(o: FlagTableFile | ComponentVersions): string {
  return `${JSON.stringify(o, null, 2)}\n`;
}
