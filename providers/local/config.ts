/**
 * `spec.infrastructure.config` of the `local` provider, and its checks. The address range is where the provider's
 * bridge, load balancers and machines take their addresses; the default comes from 10.240.0.0/12's upper part, which a
 * cloud VM or a laptop rarely uses, and every range is checked against the host's own addresses and routes before
 * anything is created (net.ts).
 */
import type { FieldError, JSONSchemaProps } from '../types.js';
import { parseCidr } from '../inmemory/addresses.js';

export interface LocalConfig {
  addressRange: string;
  loadBalancerPort: number;
}

export const DEFAULT_ADDRESS_RANGE = '10.240.0.0/16';

export const localConfigSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    addressRange: {
      type: 'string', default: DEFAULT_ADDRESS_RANGE,
      description: 'Private IPv4 CIDR of the bridge the machines sit on: the first address is the host\'s side of the bridge, load balancers and machines take the next ones. Must not overlap any address or route of the host.',
    },
    loadBalancerPort: { type: 'integer', minimum: 1, maximum: 65535, default: 6443, description: 'Port of the control-plane endpoint (the host\'s TCP load balancer).' },
  },
};

/** Why a range cannot be used (syntax, size, not private), or undefined. Collisions with the host are checked at use. */
export function checkLocalRange(cidr: string): string | undefined {
  try {
    const { base, size } = parseCidr(cidr);
    const a = base >>> 24;
    const b = (base >>> 16) & 255;
    const privateRange = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
    if (!privateRange) return 'must be inside a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)';
    if (size < 8) return 'must hold at least 8 addresses';
    if (size > 65536) return 'must be a /16 or smaller';
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function validateLocalConfig(config: Record<string, unknown>, fieldPath: string): FieldError[] {
  const range = config.addressRange;
  const why = typeof range === 'string' ? checkLocalRange(range) : undefined;
  return why ? [{ type: 'FieldValueInvalid', field: `${fieldPath}.addressRange`, badValue: range, detail: why }] : [];
}
