// The committed version tables (bootstrap/versions/*.json) are what the real sources give: each is regenerated from
// the built binaries' --help and from kubeadm's constants.go of the pinned module, and any difference fails. In CI
// (CI=true) the sources of the versions CI builds (v1.36.3 and v1.37.2) must be present: a missing one fails, never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { findKubeBinary, kubeBinary, KUBE_PREVIOUS_TEST_VERSION, KUBE_TEST_VERSION } from '../../lib/kube-binaries.js';
import { minorOf, SUPPORTED_MINORS } from '../../lib/version.js';
import {
  componentsFile, componentsFromConstantsGo, componentsFromModule, FLAG_COMPONENTS, flagsFile, flagsFromHelp, flagTableFromBinaries,
  kubernetesModuleDir, pinnedVersions, tableText,
} from '../../bootstrap/versions/tables.js';

const CI = process.env.CI === 'true';
const REQUIRED = [KUBE_PREVIOUS_TEST_VERSION, KUBE_TEST_VERSION];

test('one pinned patch release per supported minor, and a committed table of each kind for each', () => {
  assert.deepEqual(pinnedVersions().map((v) => minorOf(v)), [...SUPPORTED_MINORS]);
  for (const v of pinnedVersions()) {
    const flags = JSON.parse(readFileSync(flagsFile(minorOf(v)!), 'utf8')) as { kubernetesVersion: string; flags: Record<string, string[]> };
    assert.equal(flags.kubernetesVersion, v);
    for (const c of FLAG_COMPONENTS) assert.ok(flags.flags[c]!.length > 20, `${c} ${v}`);
    const comps = JSON.parse(readFileSync(componentsFile(minorOf(v)!), 'utf8')) as { kubernetesVersion: string; etcd: string };
    assert.equal(comps.kubernetesVersion, v);
    assert.match(comps.etcd, /^3\.\d+\.\d+-0$/);
  }
});

test('--help parsing: cobra\'s and etcd\'s layouts, flags only from the start of indented lines', () => {
  const cobra = `Usage:\n  kube-apiserver [flags]\n\nGeneric flags:\n\n      --advertise-address ip    The IP address on which to advertise the apiserver (see --bind-address).\n  -h, --help    help for kube-apiserver\n      --v Level   number for the log level verbosity\n`;
  assert.deepEqual(flagsFromHelp(cobra), ['advertise-address', 'help', 'v']);
  const etcd = `Member:\n  --name 'default'\n    Human-readable name for this member.\n  --data-dir '\${name}.etcd'\n    Path to the data directory.\n`;
  assert.deepEqual(flagsFromHelp(etcd), ['data-dir', 'name']);
});

test('constants.go parsing finds kubeadm\'s pinned etcd, CoreDNS and pause, and says which one is missing', () => {
  const text = '\tDefaultEtcdVersion = "3.7.0-0"\n\tCoreDNSVersion = "v1.14.6"\n\tPauseVersion = "3.10.2"\n';
  assert.deepEqual(componentsFromConstantsGo(text, 'v1.37.2'), {
    kubernetesVersion: 'v1.37.2', source: 'k8s.io/kubernetes@v1.37.2 cmd/kubeadm/app/constants/constants.go', etcd: '3.7.0-0', coredns: 'v1.14.6', pause: '3.10.2',
  });
  assert.throws(() => componentsFromConstantsGo('CoreDNSVersion = "v1"', 'v1.37.2'), /declares no DefaultEtcdVersion/);
});

for (const v of pinnedVersions()) {
  const minor = minorOf(v)!;
  const required = CI && REQUIRED.includes(v);

  test(`flags-${minor}.json matches the --help of the ${v} binaries${required ? ' (required in CI)' : ''}`, { timeout: 120_000 }, (t) => {
    if (required) for (const c of FLAG_COMPONENTS) kubeBinary(v, c); // throws, saying how to build it
    if (!FLAG_COMPONENTS.every((c) => findKubeBinary(v, c))) {
      t.diagnostic(`${v} is not built here; its committed table is checked where it is (make kube)`);
      return;
    }
    const fresh = flagTableFromBinaries(v)!;
    assert.equal(tableText(fresh), readFileSync(flagsFile(minor), 'utf8'), `flags-${minor}.json drifted: run node dist/bootstrap/versions/generate.js`);
  });

  test(`components-${minor}.json matches kubeadm ${v}'s constants.go${required ? ' (required in CI)' : ''}`, (t) => {
    const dir = kubernetesModuleDir(v);
    if (!dir) {
      if (required) assert.fail(`k8s.io/kubernetes@${v} is not in the Go module cache: run make kube (tools/kube/build.sh ${v} downloads it)`);
      t.diagnostic(`k8s.io/kubernetes@${v} is not in the Go module cache here`);
      return;
    }
    assert.equal(tableText(componentsFromModule(v, dir)!), readFileSync(componentsFile(minor), 'utf8'), `components-${minor}.json drifted`);
  });
}
