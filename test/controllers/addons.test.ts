/** kube-proxy's image follows the control plane only once its rollout is finished (controllers/cluster/addons.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlPlaneAt, kubeProxyImage, withKubernetesVersion } from '../../controllers/cluster/addons.js';
import type { CPMember } from '../../controllers/cluster/control-plane.js';

test('kubeProxyImage: the tag of a kube-proxy image moves to the version; other images and the same tag stay', () => {
  assert.equal(kubeProxyImage('registry.k8s.io/kube-proxy:v1.36.3', 'v1.37.2'), 'registry.k8s.io/kube-proxy:v1.37.2');
  assert.equal(kubeProxyImage('kube-proxy:v1.36.3', 'v1.37.2'), 'kube-proxy:v1.37.2');
  assert.equal(kubeProxyImage('registry.k8s.io/kube-proxy:v1.37.2', 'v1.37.2'), undefined);
  assert.equal(kubeProxyImage('registry.k8s.io/coredns/coredns:v1.12.1', 'v1.37.2'), undefined);
  assert.equal(kubeProxyImage('registry.k8s.io/kube-proxy@sha256:abc', 'v1.37.2'), undefined, 'a digest is left as the user pinned it');
});

test('controlPlaneAt: every member ready at the version, none leaving, as many as desired', () => {
  const m = (name: string, version: string, extra: Partial<CPMember> = {}): CPMember => ({ name, creationTimestamp: '', deleting: false, ready: true, failed: false, version, ...extra });
  const d = { replicas: 3, version: 'v1.37.2', templateHash: 'h' };
  assert.equal(controlPlaneAt([m('a', 'v1.37.2'), m('b', 'v1.37.2'), m('c', 'v1.37.2')], d), true);
  assert.equal(controlPlaneAt([m('a', 'v1.37.2'), m('b', 'v1.37.2'), m('c', 'v1.36.3')], d), false, 'one member behind');
  assert.equal(controlPlaneAt([m('a', 'v1.37.2'), m('b', 'v1.37.2')], d), false, 'one missing');
  assert.equal(controlPlaneAt([m('a', 'v1.37.2'), m('b', 'v1.37.2'), m('c', 'v1.37.2', { ready: false })], d), false, 'one not ready');
  assert.equal(controlPlaneAt([m('a', 'v1.37.2'), m('b', 'v1.37.2'), m('c', 'v1.37.2'), m('d', 'v1.36.3', { deleting: true })], d), false, 'one leaving');
});

test('withKubernetesVersion: kubeadm-config\'s version line changes, every other byte stays', () => {
  const text = 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.36.3\nnetworking:\n  serviceSubnet: 10.96.0.0/12\n';
  assert.equal(withKubernetesVersion(text, 'v1.37.2'), text.replace('v1.36.3', 'v1.37.2'));
  assert.equal(withKubernetesVersion(text, 'v1.36.3'), undefined, 'already at the version');
  assert.equal(withKubernetesVersion('kind: ClusterConfiguration\n', 'v1.37.2'), 'kind: ClusterConfiguration\nkubernetesVersion: v1.37.2\n');
});
