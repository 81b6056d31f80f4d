/** kubeadm's essential addons, kube-proxy and CoreDNS, as the objects kubeadm creates for them. */
import yaml from 'js-yaml';
import * as C from '../constants.js';
import type { ClusterConfiguration } from '../config/types.js';
import type { KubeObject } from './client.js';
import { nthAddress } from '../netutil.js';
import { componentVersions } from '../flags.js';

const RBAC = 'rbac.authorization.k8s.io';

export function kubeProxyObjects(cfg: ClusterConfiguration, server: string): KubeObject[] {
  const proxyConfig = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    bindAddress: '0.0.0.0',
    clientConnection: { kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
    ...(cfg.networking.podSubnet ? { clusterCIDR: cfg.networking.podSubnet } : {}),
    mode: '',
  };
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server }, name: 'default' }],
    contexts: [{ context: { cluster: 'default', namespace: 'default', user: 'default' }, name: 'default' }],
    'current-context': 'default',
    users: [{ name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
  };
  const labels = { 'k8s-app': 'kube-proxy' };
  return [
    { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'kube-proxy', namespace: 'kube-system' } },
    { kind: 'ClusterRoleBinding', apiVersion: `${RBAC}/v1`, metadata: { name: 'kubeadm:node-proxier' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:node-proxier' }, subjects: [{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }] },
    { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } }, data: { 'config.conf': yaml.dump(proxyConfig), 'kubeconfig.conf': yaml.dump(kubeconfig) } },
    { kind: 'Role', apiVersion: `${RBAC}/v1`, metadata: { name: 'kube-proxy', namespace: 'kube-system' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['kube-proxy'] }] },
    { kind: 'RoleBinding', apiVersion: `${RBAC}/v1`, metadata: { name: 'kube-proxy', namespace: 'kube-system' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'kube-proxy' }, subjects: [{ kind: 'Group', apiGroup: RBAC, name: C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP }] },
    {
      kind: 'DaemonSet', apiVersion: 'apps/v1', metadata: { name: 'kube-proxy', namespace: 'kube-system', labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-node-critical', hostNetwork: true, serviceAccountName: 'kube-proxy', nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ operator: 'Exists' }],
            containers: [{
              name: 'kube-proxy', image: `${cfg.imageRepository}/kube-proxy:${cfg.kubernetesVersion}`, imagePullPolicy: 'IfNotPresent',
              command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              securityContext: { privileged: true },
              volumeMounts: [{ mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' }, { mountPath: '/run/xtables.lock', name: 'xtables-lock' }, { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true }],
            }],
            volumes: [{ name: 'kube-proxy', configMap: { name: 'kube-proxy' } }, { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } }, { name: 'lib-modules', hostPath: { path: '/lib/modules' } }],
          },
        },
      },
    },
  ];
}

export function coreDNSObjects(cfg: ClusterConfiguration): KubeObject[] {
  const labels = { 'k8s-app': 'kube-dns' };
  const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${cfg.networking.dnsDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
  const img = `${cfg.dns.imageRepository ?? `${cfg.imageRepository}/coredns`}/coredns:${cfg.dns.imageTag ?? componentVersions(cfg.kubernetesVersion).coredns}`;
  return [
    { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'coredns', namespace: 'kube-system' } },
    {
      kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: { name: 'system:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    { kind: 'ClusterRoleBinding', apiVersion: `${RBAC}/v1`, metadata: { name: 'system:coredns' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:coredns' }, subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }] },
    { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: corefile } },
    {
      kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas: 2, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-cluster-critical', serviceAccountName: 'coredns', dnsPolicy: 'Default', nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: C.LABEL_CONTROL_PLANE, effect: 'NoSchedule' }],
            containers: [{
              name: 'coredns', image: img, imagePullPolicy: 'IfNotPresent', args: ['-conf', '/etc/coredns/Corefile'],
              ports: [{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' }, { containerPort: 9153, name: 'metrics', protocol: 'TCP' }],
              volumeMounts: [{ mountPath: '/etc/coredns', name: 'config-volume', readOnly: true }],
            }],
            volumes: [{ name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } }],
          },
        },
      },
    },
    {
      kind: 'Service', apiVersion: 'v1', metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        clusterIP: nthAddress(cfg.networking.serviceSubnet, 10), selector: labels,
        ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }, { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 }],
      },
    },
  ];
}
