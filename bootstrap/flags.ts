/**
 * The command-line flags each control-plane binary accepts, per Kubernetes minor version. kubeadm's own reference
 * predates flag removals (--insecure-port is gone since v1.24, --port and --address since v1.24/1.23), so every flag
 * the agent emits is checked against the target version's table; unknown extraArgs fail preflight.
 */

const common = [
  'help', 'v', 'vmodule', 'version', 'log-flush-frequency', 'logging-format', 'log-json-info-buffer-size', 'log-json-split-stream',
  'log-text-info-buffer-size', 'log-text-split-stream', 'feature-gates', 'allow-metric-labels', 'allow-metric-labels-manifest',
  'disabled-metrics', 'show-hidden-metrics-for-version', 'profiling', 'contention-profiling',
];
const secureServing = [
  'bind-address', 'secure-port', 'cert-dir', 'tls-cert-file', 'tls-private-key-file', 'tls-cipher-suites', 'tls-min-version',
  'tls-sni-cert-key', 'http2-max-streams-per-connection', 'permit-address-sharing', 'permit-port-sharing',
];
const requestHeader = [
  'client-ca-file', 'requestheader-allowed-names', 'requestheader-client-ca-file', 'requestheader-extra-headers-prefix',
  'requestheader-group-headers', 'requestheader-username-headers',
];
const delegatedAuth = [
  'authentication-kubeconfig', 'authentication-skip-lookup', 'authentication-token-webhook-cache-ttl',
  'authentication-tolerate-lookup-failure', 'authorization-always-allow-paths', 'authorization-kubeconfig',
  'authorization-webhook-cache-authorized-ttl', 'authorization-webhook-cache-unauthorized-ttl',
];
const leaderElection = [
  'leader-elect', 'leader-elect-lease-duration', 'leader-elect-renew-deadline', 'leader-elect-resource-lock',
  'leader-elect-resource-name', 'leader-elect-resource-namespace', 'leader-elect-retry-period',
];
const apiClient = ['kubeconfig', 'master', 'kube-api-burst', 'kube-api-content-type', 'kube-api-qps'];

const apiserver130 = [
  ...common, ...secureServing, ...requestHeader,
  'admission-control-config-file', 'advertise-address', 'aggregator-reject-forwarding-redirect', 'allow-privileged', 'anonymous-auth',
  'api-audiences', 'audit-log-batch-buffer-size', 'audit-log-batch-max-size', 'audit-log-batch-max-wait', 'audit-log-batch-throttle-burst',
  'audit-log-batch-throttle-enable', 'audit-log-batch-throttle-qps', 'audit-log-compress', 'audit-log-format', 'audit-log-maxage',
  'audit-log-maxbackup', 'audit-log-maxsize', 'audit-log-mode', 'audit-log-path', 'audit-log-truncate-enabled', 'audit-log-truncate-max-batch-size',
  'audit-log-truncate-max-event-size', 'audit-log-version', 'audit-policy-file', 'audit-webhook-batch-buffer-size', 'audit-webhook-batch-max-size',
  'audit-webhook-batch-max-wait', 'audit-webhook-batch-throttle-burst', 'audit-webhook-batch-throttle-enable', 'audit-webhook-batch-throttle-qps',
  'audit-webhook-config-file', 'audit-webhook-initial-backoff', 'audit-webhook-mode', 'audit-webhook-truncate-enabled',
  'audit-webhook-truncate-max-batch-size', 'audit-webhook-truncate-max-event-size', 'audit-webhook-version', 'authentication-config',
  'authentication-token-webhook-cache-ttl', 'authentication-token-webhook-config-file', 'authentication-token-webhook-version',
  'authorization-config', 'authorization-mode', 'authorization-policy-file', 'authorization-webhook-cache-authorized-ttl',
  'authorization-webhook-cache-unauthorized-ttl', 'authorization-webhook-config-file', 'authorization-webhook-version', 'cloud-config',
  'cloud-provider', 'cors-allowed-origins', 'debug-socket-path', 'default-not-ready-toleration-seconds', 'default-unreachable-toleration-seconds',
  'default-watch-cache-size', 'delete-collection-workers', 'disable-admission-plugins', 'disable-http2-serving', 'egress-selector-config-file',
  'enable-admission-plugins', 'enable-aggregator-routing', 'enable-bootstrap-token-auth', 'enable-garbage-collector',
  'enable-priority-and-fairness', 'encryption-provider-config', 'encryption-provider-config-automatic-reload', 'endpoint-reconciler-type',
  'etcd-cafile', 'etcd-certfile', 'etcd-compaction-interval', 'etcd-count-metric-poll-period', 'etcd-db-metric-poll-interval',
  'etcd-healthcheck-timeout', 'etcd-keyfile', 'etcd-prefix', 'etcd-readycheck-timeout', 'etcd-servers', 'etcd-servers-overrides', 'event-ttl',
  'external-hostname', 'goaway-chance', 'kubelet-certificate-authority', 'kubelet-client-certificate', 'kubelet-client-key',
  'kubelet-preferred-address-types', 'kubelet-timeout', 'kubernetes-service-node-port', 'lease-reuse-duration-seconds', 'livez-grace-period',
  'max-connection-bytes-per-sec', 'max-mutating-requests-inflight', 'max-requests-inflight', 'min-request-timeout', 'oidc-ca-file',
  'oidc-client-id', 'oidc-groups-claim', 'oidc-groups-prefix', 'oidc-issuer-url', 'oidc-required-claim', 'oidc-signing-algs',
  'oidc-username-claim', 'oidc-username-prefix', 'peer-advertise-ip', 'peer-advertise-port', 'peer-ca-file', 'proxy-client-cert-file',
  'proxy-client-key-file', 'request-timeout', 'runtime-config', 'service-account-extend-token-expiration', 'service-account-issuer',
  'service-account-jwks-uri', 'service-account-key-file', 'service-account-lookup', 'service-account-max-token-expiration',
  'service-account-signing-key-file', 'service-cluster-ip-range', 'service-node-port-range', 'shutdown-delay-duration',
  'shutdown-send-retry-after', 'shutdown-watch-termination-grace-period', 'storage-backend', 'storage-media-type',
  'strict-transport-security-directives', 'token-auth-file', 'tracing-config-file', 'watch-cache', 'watch-cache-sizes',
];

const controllerManager130 = [
  ...common, ...secureServing, ...requestHeader, ...delegatedAuth, ...leaderElection, ...apiClient,
  'allocate-node-cidrs', 'attach-detach-reconcile-sync-period', 'cidr-allocator-type', 'cloud-config', 'cloud-provider', 'cluster-cidr',
  'cluster-name', 'cluster-signing-cert-file', 'cluster-signing-duration', 'cluster-signing-key-file',
  'cluster-signing-kube-apiserver-client-cert-file', 'cluster-signing-kube-apiserver-client-key-file', 'cluster-signing-kubelet-client-cert-file',
  'cluster-signing-kubelet-client-key-file', 'cluster-signing-kubelet-serving-cert-file', 'cluster-signing-kubelet-serving-key-file',
  'cluster-signing-legacy-unknown-cert-file', 'cluster-signing-legacy-unknown-key-file', 'concurrent-cron-job-syncs', 'concurrent-deployment-syncs',
  'concurrent-endpoint-syncs', 'concurrent-ephemeralvolume-syncs', 'concurrent-gc-syncs', 'concurrent-horizontal-pod-autoscaler-syncs',
  'concurrent-job-syncs', 'concurrent-namespace-syncs', 'concurrent-rc-syncs', 'concurrent-replicaset-syncs', 'concurrent-resource-quota-syncs',
  'concurrent-service-endpoint-syncs', 'concurrent-service-syncs', 'concurrent-serviceaccount-token-syncs', 'concurrent-statefulset-syncs',
  'concurrent-ttl-after-finished-syncs', 'concurrent-validating-admission-policy-status-syncs', 'configure-cloud-routes', 'controller-start-interval',
  'controllers', 'disable-attach-detach-reconcile-sync', 'enable-dynamic-provisioning', 'enable-garbage-collector', 'enable-hostpath-provisioner',
  'enable-leader-migration', 'endpoint-updates-batch-period', 'endpointslice-updates-batch-period', 'external-cloud-volume-plugin',
  'flex-volume-plugin-dir', 'horizontal-pod-autoscaler-cpu-initialization-period', 'horizontal-pod-autoscaler-downscale-stabilization',
  'horizontal-pod-autoscaler-initial-readiness-delay', 'horizontal-pod-autoscaler-sync-period', 'horizontal-pod-autoscaler-tolerance',
  'large-cluster-size-threshold', 'leader-migration-config', 'legacy-service-account-token-clean-up-period', 'max-endpoints-per-slice',
  'min-resync-period', 'namespace-sync-period', 'node-cidr-mask-size', 'node-cidr-mask-size-ipv4', 'node-cidr-mask-size-ipv6',
  'node-eviction-rate', 'node-monitor-grace-period', 'node-monitor-period', 'node-startup-grace-period', 'pv-recycler-increment-timeout-nfs',
  'pv-recycler-minimum-timeout-hostpath', 'pv-recycler-minimum-timeout-nfs', 'pv-recycler-pod-template-filepath-hostpath',
  'pv-recycler-pod-template-filepath-nfs', 'pv-recycler-timeout-increment-hostpath', 'pvclaimbinder-sync-period', 'resource-quota-sync-period',
  'root-ca-file', 'route-reconciliation-period', 'secondary-node-eviction-rate', 'service-account-private-key-file', 'service-cluster-ip-range',
  'terminated-pod-gc-threshold', 'unhealthy-zone-threshold', 'use-service-account-credentials',
];

const scheduler130 = [
  ...common, ...secureServing, ...requestHeader, ...delegatedAuth, ...leaderElection, ...apiClient,
  'config', 'pod-max-in-unschedulable-pods-duration', 'write-config-to',
];

const etcd35 = [
  'name', 'data-dir', 'wal-dir', 'snapshot-count', 'heartbeat-interval', 'election-timeout', 'initial-election-tick-advance',
  'listen-peer-urls', 'listen-client-urls', 'listen-client-http-urls', 'max-snapshots', 'max-wals', 'quota-backend-bytes',
  'backend-bbolt-freelist-type', 'backend-batch-interval', 'backend-batch-limit', 'max-txn-ops', 'max-request-bytes',
  'grpc-keepalive-min-time', 'grpc-keepalive-interval', 'grpc-keepalive-timeout', 'socket-reuse-port', 'socket-reuse-address',
  'initial-advertise-peer-urls', 'initial-cluster', 'initial-cluster-state', 'initial-cluster-token', 'advertise-client-urls', 'discovery',
  'discovery-fallback', 'discovery-proxy', 'discovery-srv', 'discovery-srv-name', 'strict-reconfig-check', 'pre-vote',
  'auto-compaction-retention', 'auto-compaction-mode', 'enable-v2', 'v2-deprecation', 'cert-file', 'key-file', 'client-cert-auth',
  'client-crl-file', 'client-cert-allowed-hostname', 'trusted-ca-file', 'auto-tls', 'peer-cert-file', 'peer-key-file', 'peer-client-cert-auth',
  'peer-crl-file', 'peer-trusted-ca-file', 'peer-auto-tls', 'peer-cert-allowed-cn', 'peer-cert-allowed-hostname', 'cipher-suites',
  'tls-min-version', 'tls-max-version', 'cors', 'host-whitelist', 'logger', 'log-outputs', 'log-level', 'enable-log-rotation',
  'log-rotation-config-json', 'enable-pprof', 'metrics', 'listen-metrics-urls', 'auth-token', 'bcrypt-cost', 'auth-token-ttl',
  'experimental-initial-corrupt-check', 'experimental-corrupt-check-time', 'experimental-compact-hash-check-enabled',
  'experimental-compact-hash-check-time', 'experimental-enable-v2v3', 'experimental-enable-lease-checkpoint',
  'experimental-enable-lease-checkpoint-persist', 'experimental-compaction-batch-limit', 'experimental-compaction-sleep-interval',
  'experimental-peer-skip-client-san-verification', 'experimental-watch-progress-notify-interval', 'experimental-warning-apply-duration',
  'experimental-warning-unary-request-duration', 'experimental-memory-mlock', 'experimental-txn-mode-write-with-shared-buffer',
  'experimental-bootstrap-defrag-threshold-megabytes', 'experimental-enable-distributed-tracing', 'experimental-distributed-tracing-address',
  'experimental-distributed-tracing-service-name', 'experimental-distributed-tracing-instance-id', 'experimental-distributed-tracing-sampling-rate',
  'experimental-downgrade-check-time', 'experimental-max-learners', 'experimental-snapshot-catchup-entries',
  'experimental-stop-grpc-service-on-defrag', 'unsafe-no-fsync', 'force-new-cluster', 'proxy', 'self-signed-cert-validity', 'config-file',
  'version',
];

export type Component = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd';

type FlagTable = Record<Component, ReadonlySet<string>>;

interface FlagChanges {
  add?: Partial<Record<Component, string[]>>;
  remove?: Partial<Record<Component, string[]>>;
}

/** The next minor's table: the previous one with that release's documented flag additions and removals. */
function derive(prev: FlagTable, changes: FlagChanges): FlagTable {
  const next = {} as Record<Component, ReadonlySet<string>>;
  for (const c of Object.keys(prev) as Component[]) {
    const set = new Set(prev[c]);
    for (const f of changes.add?.[c] ?? []) set.add(f);
    for (const f of changes.remove?.[c] ?? []) {
      if (!set.delete(f)) throw new Error(`flags: ${c} has no --${f} to remove`);
    }
    next[c] = set;
  }
  return next;
}

const v130: FlagTable = {
  'kube-apiserver': new Set(apiserver130),
  'kube-controller-manager': new Set(controllerManager130),
  'kube-scheduler': new Set(scheduler130),
  etcd: new Set(etcd35),
};

/*
 * What changed after 1.30, and where it was confirmed (flags only; etcd stays on 3.5 for all of these minors):
 * - 1.31: --emulated-version, the compatibility-version flag of KEP-4330 (kubernetes/kubernetes#122891), appears in the
 *   generated 1.31 kube-apiserver reference (kubernetes/website#47555); the scheduler and controller-manager register the
 *   same component-base option (kubernetes/kubernetes#126306 wires KUBE_EMULATED_VERSION for both in that cycle).
 *   1.31 removed the in-tree cloud providers, but not the flags: --cloud-provider (only "external") and --cloud-config
 *   stay on kube-apiserver until 1.33.
 * - 1.32: kube-apiserver --service-account-signing-endpoint, the alpha external JWT signer (KEP-740, kubernetes/kubernetes#128190).
 * - 1.33: kube-apiserver drops --cloud-provider and --cloud-config (kubernetes/kubernetes#130162, CHANGELOG-1.33 "Other
 *   (Cleanup or Flake)"; Cluster API providers and kops had to remove them: "Error: unknown flag: --cloud-provider") and adds
 *   --emulation-forward-compatible and --runtime-config-emulation-forward-compatible (kubernetes/kubernetes#130354).
 *   kube-controller-manager keeps --cloud-provider/--cloud-config.
 */
const v131 = derive(v130, {
  add: { 'kube-apiserver': ['emulated-version'], 'kube-controller-manager': ['emulated-version'], 'kube-scheduler': ['emulated-version'] },
});
const v132 = derive(v131, { add: { 'kube-apiserver': ['service-account-signing-endpoint'] } });
const v133 = derive(v132, {
  add: { 'kube-apiserver': ['emulation-forward-compatible', 'runtime-config-emulation-forward-compatible'] },
  remove: { 'kube-apiserver': ['cloud-config', 'cloud-provider'] },
});

const TABLES: Record<string, FlagTable> = { '1.30': v130, '1.31': v131, '1.32': v132, '1.33': v133 };

export const SUPPORTED_MINORS = Object.keys(TABLES);

export const minorOf = (version: string): string => /^v?(\d+\.\d+)/.exec(version)?.[1] ?? version;

export const isSupportedVersion = (version: string): boolean => SUPPORTED_MINORS.includes(minorOf(version));

/** The flag table for a Kubernetes version, or undefined when this agent does not know that minor. */
export function flagTable(version: string, component: Component): ReadonlySet<string> | undefined {
  return TABLES[minorOf(version)]?.[component];
}

/** Flags in names that the target binary does not accept. A minor without a table is an error, never a guess. */
export function unknownFlags(version: string, component: Component, names: string[]): string[] {
  const table = flagTable(version, component);
  if (!table) throw new Error(`flags: no flag table for Kubernetes ${version} (supported minors: ${SUPPORTED_MINORS.join(', ')})`);
  return names.filter((n) => !table.has(n));
}
