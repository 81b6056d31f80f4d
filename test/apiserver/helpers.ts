/** Test helpers: a `clusterd apiserver` child process and a kubectl runner bound to its kubeconfig. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../../lib/paths.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlRunner(kubeconfig: string, cacheDir: string) {
  return (args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const p = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
        env: { ...process.env, HOME: cacheDir, KUBECTL_INTERACTIVE_DELETE: 'false', ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
      p.on('error', reject);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(opts.input ?? '');
    });
}

export interface ApiServerProcess {
  proc: ChildProcess;
  kubeconfig: string;
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `clusterd apiserver --port 0` and waits until its kubeconfig is written and it answers. */
export async function spawnApiServer(dataDir: string, kubeconfig: string): Promise<ApiServerProcess> {
  rmSync(kubeconfig, { force: true });
  const proc = spawn(process.execPath, [cliPath(), 'apiserver', '--port', '0', '--data-dir', dataDir, '--kubeconfig-out', kubeconfig, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!existsSync(kubeconfig)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`clusterd apiserver did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
  return {
    proc, kubeconfig, url,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Polls fn until it returns a truthy value or the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A namespaced CRD with status and scale subresources, printer columns and a validation schema. */
export const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.clusterd.dev
spec:
  group: test.clusterd.dev
  scope: Namespaced
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
    shortNames: [wd]
    categories: [clusterd]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Color
      type: string
      jsonPath: .spec.color
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        description: A Widget is a test resource.
        properties:
          spec:
            type: object
            description: The desired state of the widget.
            required: [color]
            properties:
              replicas:
                type: integer
                minimum: 0
                default: 1
                description: How many widgets.
              color:
                type: string
                enum: [red, green, blue]
              tags:
                type: array
                maxItems: 3
                items:
                  type: string
          status:
            type: object
            properties:
              replicas:
                type: integer
              selector:
                type: string
`;
