/**
 * The programmatic agent: `runAgent(argv, io)` is `clusterd agent <argv...>` without a process, so the in-memory
 * provider can bootstrap many machines in one Node process. All state lives in the call; every host path goes
 * through --root.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as C from './constants.js';
import { type AgentIO, HostFS, Printer } from './context.js';
import { initConfiguration, joinConfiguration, parseConfigDocuments, type ConfigDocuments } from './config/load.js';
import { parseDuration } from './config/schema.js';
import { initWorkflow, type InitData } from './phases/init/index.js';
import { joinWorkflow, type JoinData } from './phases/join/index.js';
import { detectHost, type HostFacts } from './host.js';

type FlagKind = 'string' | 'bool' | 'list';

const COMMON: Record<string, FlagKind> = {
  config: 'string', root: 'string', 'dry-run': 'bool', 'skip-phases': 'list', 'ignore-preflight-errors': 'list', 'node-name': 'string',
  'apiserver-advertise-address': 'string', 'apiserver-bind-port': 'string', 'certificate-key': 'string', help: 'bool',
};
const INIT: Record<string, FlagKind> = {
  ...COMMON, 'upload-certs': 'bool', token: 'string', 'token-ttl': 'string', 'control-plane-endpoint': 'string', 'kubernetes-version': 'string',
  'service-cidr': 'string', 'pod-network-cidr': 'string', 'service-dns-domain': 'string', 'image-repository': 'string',
  'apiserver-cert-extra-sans': 'list', 'certificate-token-ttl': 'string', 'skip-token-print': 'bool',
};
const JOIN: Record<string, FlagKind> = {
  ...COMMON, token: 'string', 'discovery-token': 'string', 'discovery-token-ca-cert-hash': 'list', 'discovery-token-unsafe-skip-ca-verification': 'bool',
  'discovery-file': 'string', 'tls-bootstrap-token': 'string', 'control-plane': 'bool',
};

interface ParsedArgs {
  flags: Map<string, string | boolean | string[]>;
  positional: string[];
}

export function parseArgs(argv: string[], spec: Record<string, FlagKind>): ParsedArgs {
  const flags = new Map<string, string | boolean | string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const kind = spec[name];
    if (!kind) throw new Error(`unknown flag: --${name}`);
    if (kind === 'bool') {
      flags.set(name, eq >= 0 ? a.slice(eq + 1) !== 'false' : true);
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`flag needs an argument: --${name}`);
    if (kind === 'list') flags.set(name, [...((flags.get(name) as string[] | undefined) ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)]);
    else flags.set(name, value);
  }
  return { flags, positional };
}

const str = (p: ParsedArgs, n: string): string | undefined => p.flags.get(n) as string | undefined;
const list = (p: ParsedArgs, n: string): string[] => (p.flags.get(n) as string[] | undefined) ?? [];
const bool = (p: ParsedArgs, n: string): boolean => p.flags.get(n) === true;

type Raw = Record<string, unknown>;

/** Sets a nested field, creating the parents: flags become configuration before defaulting, so they validate alike. */
function set(doc: Raw, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Raw;
  }
  cur[parts[parts.length - 1]!] = value;
}

function loadDocs(fs: HostFS, p: ParsedArgs, readFile: (path: string) => string): ConfigDocuments {
  const path = str(p, 'config');
  if (!path) return {};
  let text: string;
  try {
    text = readFile(resolve(path));
  } catch (err) {
    throw new Error(`config: cannot read ${path}: ${(err as Error).message}`);
  }
  void fs;
  return parseConfigDocuments(text);
}

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${flag}: "${v}" is not a port`);
  return n;
}

/**
 * --certificate-token-ttl: how long kubeadm-certs lives. kubeadm fixes its proxy token at 2h (and says "uploaded-certs
 * will be deleted in two hours"); clusterd keeps that default and lets the operator shorten or lengthen it.
 */
function certificateTokenTTL(v: string): number {
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch {
    throw new Error(`--certificate-token-ttl: "${v}" is not a duration (e.g. 2h, 30m, 90s)`);
  }
  if (ms < 1000) throw new Error(`--certificate-token-ttl: "${v}" must be at least 1s; kubeadm-certs is deleted when its proxy token expires`);
  return Math.round(ms / 1000);
}

function initData(fs: HostFS, out: Printer, p: ParsedArgs, docs: ConfigDocuments, host: HostFacts): InitData {
  const init: Raw = docs.init ?? {};
  const cluster: Raw = docs.cluster ?? {};
  if (str(p, 'node-name')) set(init, 'nodeRegistration.name', str(p, 'node-name'));
  if (str(p, 'apiserver-advertise-address')) set(init, 'localAPIEndpoint.advertiseAddress', str(p, 'apiserver-advertise-address'));
  if (str(p, 'apiserver-bind-port')) set(init, 'localAPIEndpoint.bindPort', port(str(p, 'apiserver-bind-port')!, 'apiserver-bind-port'));
  if (str(p, 'certificate-key')) set(init, 'certificateKey', str(p, 'certificate-key'));
  if (str(p, 'token') || str(p, 'token-ttl')) {
    const tokens = Array.isArray(init.bootstrapTokens) && init.bootstrapTokens.length > 0 ? init.bootstrapTokens as Raw[] : [{}];
    if (str(p, 'token')) tokens[0]!.token = str(p, 'token');
    if (str(p, 'token-ttl')) tokens[0]!.ttl = str(p, 'token-ttl');
    init.bootstrapTokens = tokens;
  }
  if (str(p, 'control-plane-endpoint')) set(cluster, 'controlPlaneEndpoint', str(p, 'control-plane-endpoint'));
  if (str(p, 'kubernetes-version')) set(cluster, 'kubernetesVersion', str(p, 'kubernetes-version'));
  if (str(p, 'service-cidr')) set(cluster, 'networking.serviceSubnet', str(p, 'service-cidr'));
  if (str(p, 'pod-network-cidr')) set(cluster, 'networking.podSubnet', str(p, 'pod-network-cidr'));
  if (str(p, 'service-dns-domain')) set(cluster, 'networking.dnsDomain', str(p, 'service-dns-domain'));
  if (str(p, 'image-repository')) set(cluster, 'imageRepository', str(p, 'image-repository'));
  if (list(p, 'apiserver-cert-extra-sans').length > 0) set(cluster, 'apiServer.certSANs', list(p, 'apiserver-cert-extra-sans'));
  const cfg = initConfiguration({ ...docs, init, cluster }, host);
  const ttl = str(p, 'certificate-token-ttl');
  return {
    fs, out, cfg, dryRun: bool(p, 'dry-run'),
    ignorePreflightErrors: new Set([...cfg.nodeRegistration.ignorePreflightErrors, ...list(p, 'ignore-preflight-errors')].map((s) => s.toLowerCase())),
    uploadCerts: bool(p, 'upload-certs'),
    certificateTokenTTLSeconds: ttl ? certificateTokenTTL(ttl) : C.DEFAULT_CERT_TOKEN_TTL_SECONDS,
    ...(cfg.certificateKey ? { certificateKey: cfg.certificateKey } : {}),
    host,
  };
}

function joinData(fs: HostFS, out: Printer, p: ParsedArgs, docs: ConfigDocuments, host: HostFacts): JoinData {
  const join: Raw = docs.join ?? {};
  if (p.positional.length > 1) throw new Error(`join: at most one API server endpoint, got ${p.positional.join(' ')}`);
  const token = str(p, 'discovery-token') ?? str(p, 'token');
  if (str(p, 'discovery-file')) set(join, 'discovery.file.kubeConfigPath', str(p, 'discovery-file'));
  else if (token || p.positional[0] || list(p, 'discovery-token-ca-cert-hash').length > 0 || bool(p, 'discovery-token-unsafe-skip-ca-verification')) {
    if (token) set(join, 'discovery.bootstrapToken.token', token);
    if (p.positional[0]) set(join, 'discovery.bootstrapToken.apiServerEndpoint', p.positional[0]);
    if (list(p, 'discovery-token-ca-cert-hash').length > 0) set(join, 'discovery.bootstrapToken.caCertHashes', list(p, 'discovery-token-ca-cert-hash'));
    if (bool(p, 'discovery-token-unsafe-skip-ca-verification')) set(join, 'discovery.bootstrapToken.unsafeSkipCAVerification', true);
  }
  const tls = str(p, 'tls-bootstrap-token') ?? str(p, 'token');
  if (tls) set(join, 'discovery.tlsBootstrapToken', tls);
  if (str(p, 'node-name')) set(join, 'nodeRegistration.name', str(p, 'node-name'));
  if (bool(p, 'control-plane') || str(p, 'certificate-key') || str(p, 'apiserver-advertise-address')) {
    if (typeof join.controlPlane !== 'object' || join.controlPlane === null) join.controlPlane = {};
  }
  if (str(p, 'certificate-key')) set(join, 'controlPlane.certificateKey', str(p, 'certificate-key'));
  if (str(p, 'apiserver-advertise-address')) set(join, 'controlPlane.localAPIEndpoint.advertiseAddress', str(p, 'apiserver-advertise-address'));
  if (str(p, 'apiserver-bind-port')) set(join, 'controlPlane.localAPIEndpoint.bindPort', port(str(p, 'apiserver-bind-port')!, 'apiserver-bind-port'));
  const cfg = joinConfiguration({ ...docs, join }, host);
  return {
    fs, out, cfg, dryRun: bool(p, 'dry-run'),
    ignorePreflightErrors: new Set([...cfg.nodeRegistration.ignorePreflightErrors, ...list(p, 'ignore-preflight-errors')].map((s) => s.toLowerCase())),
    host,
  };
}

export interface RunAgentOptions {
  /** Reads the --config file; defaults to the real filesystem (the path is not under --root: it is the operator's). */
  readFile?: (path: string) => string;
  /** The machine's hostname and default address; defaults to this process's host. */
  host?: HostFacts;
}

const USAGE = `Usage:
  clusterd agent init [--config FILE] [--root DIR] [--dry-run] [--skip-phases a,b] [--upload-certs [--certificate-token-ttl 2h]] [flags]
  clusterd agent join [host:port] [--config FILE] [--root DIR] [--token T --discovery-token-ca-cert-hash sha256:H] [--control-plane --certificate-key K] [flags]
  clusterd agent phase <name> [flags]          (an init phase, e.g. certs/apiserver, upload-certs)
  clusterd agent init phase <name> [flags]
  clusterd agent join phase <name> [flags]
  clusterd agent phases                        (list every phase)
`;

/** Runs `clusterd agent <argv>`; returns the exit code. Errors are printed to io.stderr, never thrown. */
export async function runAgent(argv: string[], io: AgentIO, opts: RunAgentOptions = {}): Promise<number> {
  const out = new Printer(io);
  const readFile = opts.readFile ?? ((p: string) => HostFS.readReal(p));
  try {
    const [cmd, ...rest] = argv;
    if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.stdout.write(USAGE);
      return cmd ? 0 : 1;
    }
    if (cmd === 'phases') {
      for (const [name, wf] of [['init', initWorkflow()], ['join', joinWorkflow()]] as const) {
        io.stdout.write(`${name} phases:\n`);
        for (const ph of wf.list()) io.stdout.write(`  ${ph.path.padEnd(36)} ${ph.short}\n`);
      }
      return 0;
    }
    let mode: 'init' | 'join';
    let phase: string | undefined;
    let args = rest;
    if (cmd === 'phase') {
      mode = 'init';
      [phase, ...args] = rest;
      if (phase && !initWorkflow().has(phase.replace(' ', '/')) && joinWorkflow().has(phase)) mode = 'join';
    } else if (cmd === 'init' || cmd === 'join') {
      mode = cmd;
      if (rest[0] === 'phase') [, phase, ...args] = rest;
    } else {
      throw new Error(`unknown command "${cmd}"\n${USAGE}`);
    }
    if (phase !== undefined && (phase === '' || phase.startsWith('--'))) throw new Error(`phase: name a phase; see \`clusterd agent phases\``);
    // kubeadm spells sub-phases with a space (`certs apiserver`); accept that too
    if (phase && args[0] && !args[0].startsWith('--')) {
      const wf = mode === 'init' ? initWorkflow() : joinWorkflow();
      if (wf.has(`${phase}/${args[0]}`)) phase = `${phase}/${args.shift()}`;
    }
    const p = parseArgs(args, mode === 'init' ? INIT : JOIN);
    if (bool(p, 'help')) {
      io.stdout.write(USAGE);
      return 0;
    }
    const dryRun = bool(p, 'dry-run');
    let root = resolve(str(p, 'root') ?? '/');
    if (dryRun) {
      // as kubeadm: files go to a temporary directory, the API sees nothing
      root = mkdtempSync(join(tmpdir(), 'clusterd-dryrun-'));
      out.phase('dryrun', `Writing files to the temporary directory ${root}`);
    }
    const fs = new HostFS(root === '/' ? '' : root);
    const docs = loadDocs(fs, p, readFile);
    if (mode === 'init') {
      const data = initData(fs, out, p, docs, opts.host ?? detectHost());
      const wf = initWorkflow();
      if (phase) await wf.runPhase(phase, data, [...data.cfg.skipPhases, ...list(p, 'skip-phases')]);
      else await wf.run(data, [...data.cfg.skipPhases, ...list(p, 'skip-phases')]);
    } else {
      const data = joinData(fs, out, p, docs, opts.host ?? detectHost());
      const wf = joinWorkflow();
      if (phase) await wf.runPhase(phase, data, [...data.cfg.skipPhases, ...list(p, 'skip-phases')]);
      else await wf.run(data, [...data.cfg.skipPhases, ...list(p, 'skip-phases')]);
    }
    return 0;
  } catch (err) {
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
