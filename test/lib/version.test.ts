// lib/version.ts: the one version type (parse, order, minor) and the skew policy on minors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkApiServerSkew, checkControlPlaneStep, checkKubeletSkew, compareVersions, DEFAULT_KUBERNETES_VERSION, isSupportedVersion,
  minorDistance, minorOf, mustParseVersion, newestVersion, oldestVersion, parseVersion, SUPPORTED_MINORS, unsupportedVersionMessage,
} from '../../lib/version.js';
import { KUBE_PREVIOUS_TEST_VERSION, KUBE_TEST_VERSION } from '../../lib/kube-binaries.js';

test('supported minors are 1.34 to 1.37 and the default is v1.37.2, the version the tests build', () => {
  assert.deepEqual([...SUPPORTED_MINORS], ['1.34', '1.35', '1.36', '1.37']);
  assert.equal(DEFAULT_KUBERNETES_VERSION, 'v1.37.2');
  assert.equal(KUBE_TEST_VERSION, DEFAULT_KUBERNETES_VERSION);
  assert.equal(minorDistance(KUBE_PREVIOUS_TEST_VERSION, KUBE_TEST_VERSION), 1);
});

test('parse: v is optional, pre-release and build metadata are kept apart, anything else is refused', () => {
  assert.deepEqual(parseVersion('1.37.2'), { major: 1, minor: 37, patch: 2, text: 'v1.37.2' });
  assert.deepEqual(parseVersion('v1.37.0-rc.1'), { major: 1, minor: 37, patch: 0, pre: 'rc.1', text: 'v1.37.0-rc.1' });
  assert.equal(parseVersion('v1.37.2+k3s1')?.text, 'v1.37.2');
  for (const bad of ['', 'v1.37', '1.37.x', 'v1.037.2', 'latest', ' v', undefined]) assert.equal(parseVersion(bad), undefined, String(bad));
  assert.throws(() => mustParseVersion('v1.37', 'spec.version'), /spec\.version: "v1\.37" is not a Kubernetes version such as v1\.37\.2/);
});

test('order: numeric, not textual (v1.30.9 < v1.30.10), and a release after its pre-releases', () => {
  const sorted = ['v1.30.10', 'v1.30.9', 'v1.4.0', 'v1.37.0', 'v1.37.0-rc.1', 'v1.37.0-alpha.2', 'v1.37.0-alpha.10'].sort(compareVersions);
  assert.deepEqual(sorted, ['v1.4.0', 'v1.30.9', 'v1.30.10', 'v1.37.0-alpha.2', 'v1.37.0-alpha.10', 'v1.37.0-rc.1', 'v1.37.0']);
  assert.equal(oldestVersion(['v1.30.10', undefined, 'junk', 'v1.30.9']), 'v1.30.9');
  assert.equal(newestVersion(['v1.30.10', 'v1.30.9']), 'v1.30.10');
  assert.equal(minorOf('v1.37.2'), '1.37');
  assert.equal(minorOf('nope'), undefined);
});

test('supported: by minor, any patch', () => {
  assert.ok(isSupportedVersion('v1.34.0') && isSupportedVersion('v1.37.99'));
  assert.ok(!isSupportedVersion('v1.33.9') && !isSupportedVersion('v1.38.0'));
  assert.equal(unsupportedVersionMessage('v1.37.2'), undefined);
  assert.match(unsupportedVersionMessage('v1.33.1')!, /Kubernetes v1\.33\.1 is not supported \(supported minors: 1\.34, 1\.35, 1\.36, 1\.37\)/);
  assert.match(unsupportedVersionMessage('1.37')!, /"1\.37" is not a Kubernetes version/);
});

test('control plane: one minor at a time, up or down; patches freely', () => {
  assert.equal(checkControlPlaneStep(['v1.36.3', 'v1.36.3'], 'v1.37.2'), undefined);
  assert.equal(checkControlPlaneStep(['v1.37.2'], 'v1.37.0'), undefined);
  const jump = checkControlPlaneStep(['v1.35.4'], 'v1.37.2');
  assert.equal(jump?.reason, 'ControlPlaneMinorJumpTooLarge');
  assert.match(jump!.message, /from v1\.35\.4 to v1\.37\.2: it upgrades one minor version at a time \(to v1\.36\.x first\)/);
  // a member still on the older minor mid-rollout counts too
  assert.equal(checkControlPlaneStep(['v1.36.3', 'v1.35.4'], 'v1.37.2')?.reason, 'ControlPlaneMinorJumpTooLarge');
  assert.equal(checkControlPlaneStep(['v1.37.2'], 'v1.35.0')?.reason, 'ControlPlaneDowngradeTooLarge');
  assert.equal(checkControlPlaneStep(['v1.37.2'], 'v1.33.0')?.reason, 'VersionUnsupported');
});

test('HA API servers within one minor; kubelets never newer, at most three older', () => {
  assert.equal(checkApiServerSkew(['v1.36.3', 'v1.37.2', 'v1.37.2']), undefined);
  assert.equal(checkApiServerSkew(['v1.35.4', 'v1.37.2'])?.reason, 'ApiServerSkewTooLarge');
  assert.equal(checkKubeletSkew('v1.37.2', 'v1.37.9'), undefined, 'a newer patch of the same minor is allowed');
  assert.equal(checkKubeletSkew('v1.37.2', 'v1.34.0'), undefined);
  assert.equal(checkKubeletSkew('v1.36.3', 'v1.37.0')?.reason, 'KubeletNewerThanControlPlane');
  assert.equal(checkKubeletSkew('v1.37.2', 'v1.33.7')?.reason, 'KubeletTooOld');
});
