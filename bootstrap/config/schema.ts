/**
 * Strict structural checks for kubeadm's configuration documents. kubeadm decodes with strict field validation, so an
 * unknown or misspelt field is an error naming the field (`unknown field "nodeRegistration.foo"`), never ignored.
 */

export type Schema =
  | 'string'
  | 'number'
  | 'boolean'
  | 'duration'
  | 'any'
  | { obj: Record<string, Schema> }
  | { arr: Schema }
  | { map: Schema };

export const obj = (fields: Record<string, Schema>): Schema => ({ obj: fields });
export const arr = (item: Schema): Schema => ({ arr: item });
export const map = (value: Schema): Schema => ({ map: value });

const fieldName = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

export function checkSchema(value: unknown, schema: Schema, path: string, errors: string[]): void {
  if (value === null || value === undefined) return; // absent or explicitly null: defaulted later
  if (schema === 'any') return;
  if (schema === 'string' || schema === 'duration') {
    if (typeof value !== 'string') errors.push(`field "${path}": expected a string, got ${typeof value}`);
    else if (schema === 'duration' && !isDuration(value)) errors.push(`field "${path}": "${value}" is not a duration (e.g. 24h0m0s)`);
    return;
  }
  if (schema === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) errors.push(`field "${path}": expected a number, got ${typeof value}`);
    return;
  }
  if (schema === 'boolean') {
    if (typeof value !== 'boolean') errors.push(`field "${path}": expected a boolean, got ${typeof value}`);
    return;
  }
  if ('arr' in schema) {
    if (!Array.isArray(value)) {
      errors.push(`field "${path}": expected a list`);
      return;
    }
    value.forEach((v, i) => checkSchema(v, schema.arr, fieldName(path, i), errors));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`field "${path}": expected a mapping`);
    return;
  }
  const rec = value as Record<string, unknown>;
  if ('map' in schema) {
    for (const [k, v] of Object.entries(rec)) checkSchema(v, schema.map, fieldName(path, k), errors);
    return;
  }
  for (const [k, v] of Object.entries(rec)) {
    const sub = schema.obj[k];
    if (sub === undefined) errors.push(`unknown field "${fieldName(path, k)}"`);
    else checkSchema(v, sub, fieldName(path, k), errors);
  }
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function isDuration(s: string): boolean {
  return s === '0' || DURATION.test(s);
}

/** A Go duration string (time.ParseDuration) in milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (!DURATION.test(s)) throw new Error(`"${s}" is not a duration`);
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/** A duration as Go prints it (24h0m0s), for the configuration kubeadm uploads. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

// ---- the documents, by API version -------------------------------------------------------------------------

const argsV3 = map('string');
const argsV4 = arr(obj({ name: 'string', value: 'string' }));
const envs = arr(obj({ name: 'string', value: 'string', valueFrom: 'any' }));
const volumes = arr(obj({ name: 'string', hostPath: 'string', mountPath: 'string', readOnly: 'boolean', pathType: 'string' }));
const endpoint = obj({ advertiseAddress: 'string', bindPort: 'number' });
const patches = obj({ directory: 'string' });
const timeouts = obj({
  controlPlaneComponentHealthCheck: 'duration', kubeletHealthCheck: 'duration', kubernetesAPICall: 'duration',
  etcdAPICall: 'duration', tlsBootstrap: 'duration', discovery: 'duration', upgradeManifests: 'duration',
});
const token = obj({ token: 'string', description: 'string', ttl: 'duration', expires: 'string', usages: arr('string'), groups: arr('string') });

function nodeRegistration(v4: boolean): Schema {
  return obj({
    name: 'string', criSocket: 'string', taints: arr(obj({ key: 'string', value: 'string', effect: 'string', timeAdded: 'string' })),
    kubeletExtraArgs: v4 ? argsV4 : argsV3, ignorePreflightErrors: arr('string'), imagePullPolicy: 'string',
    ...(v4 ? { imagePullSerial: 'boolean' as const } : {}),
  });
}

function component(v4: boolean, extra: Record<string, Schema> = {}): Schema {
  return obj({ extraArgs: v4 ? argsV4 : argsV3, extraVolumes: volumes, ...(v4 ? { extraEnvs: envs } : {}), ...extra });
}

const typeMeta = { apiVersion: 'string' as const, kind: 'string' as const };

export function clusterConfigurationSchema(v4: boolean): Schema {
  return obj({
    ...typeMeta,
    etcd: obj({
      local: obj({
        imageRepository: 'string', imageTag: 'string', dataDir: 'string', extraArgs: v4 ? argsV4 : argsV3,
        serverCertSANs: arr('string'), peerCertSANs: arr('string'), ...(v4 ? { extraEnvs: envs } : {}),
      }),
      external: obj({ endpoints: arr('string'), caFile: 'string', certFile: 'string', keyFile: 'string' }),
    }),
    networking: obj({ serviceSubnet: 'string', podSubnet: 'string', dnsDomain: 'string' }),
    kubernetesVersion: 'string',
    controlPlaneEndpoint: 'string',
    apiServer: component(v4, { certSANs: arr('string'), ...(v4 ? {} : { timeoutForControlPlane: 'duration' as const }) }),
    controllerManager: component(v4),
    scheduler: component(v4),
    dns: obj({ imageRepository: 'string', imageTag: 'string', ...(v4 ? { disabled: 'boolean' as const } : {}) }),
    ...(v4 ? { proxy: obj({ disabled: 'boolean' }), encryptionAlgorithm: 'string', certificateValidityPeriod: 'duration', caCertificateValidityPeriod: 'duration' } : {}),
    certificatesDir: 'string',
    imageRepository: 'string',
    featureGates: map('boolean'),
    clusterName: 'string',
  });
}

export function initConfigurationSchema(v4: boolean): Schema {
  return obj({
    ...typeMeta,
    bootstrapTokens: arr(token),
    nodeRegistration: nodeRegistration(v4),
    localAPIEndpoint: endpoint,
    certificateKey: 'string',
    skipPhases: arr('string'),
    patches,
    ...(v4 ? { dryRun: 'boolean' as const, timeouts } : {}),
  });
}

export function joinConfigurationSchema(v4: boolean): Schema {
  return obj({
    ...typeMeta,
    nodeRegistration: nodeRegistration(v4),
    caCertPath: 'string',
    discovery: obj({
      bootstrapToken: obj({ token: 'string', apiServerEndpoint: 'string', caCertHashes: arr('string'), unsafeSkipCAVerification: 'boolean' }),
      file: obj({ kubeConfigPath: 'string' }),
      tlsBootstrapToken: 'string',
      ...(v4 ? {} : { timeout: 'duration' as const }),
    }),
    controlPlane: obj({ localAPIEndpoint: endpoint, certificateKey: 'string' }),
    skipPhases: arr('string'),
    patches,
    ...(v4 ? { dryRun: 'boolean' as const, timeouts } : {}),
  });
}
