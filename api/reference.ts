/**
 * docs/api-reference.md, generated from the same TypeBox schemas as the CRDs (`make generate` writes both; a test
 * fails when the committed page drifts from the schemas).
 */
import { API_VERSION } from './v1alpha1/index.js';
import { KINDS, type KindDef } from './v1alpha1/crds.js';

interface Schema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'integer or string';
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(' or ');
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${typeOf(s.additionalProperties)}`;
  if (s['x-kubernetes-preserve-unknown-fields']) return 'object (free-form)';
  const t = Array.isArray(s.type) ? s.type.join(' or ') : s.type ?? 'any';
  return s.format ? `${t} (${s.format})` : t;
}

function constraints(s: Schema): string {
  const c: string[] = [];
  if (s.default !== undefined) c.push(`default ${JSON.stringify(s.default)}`);
  if (s.minimum !== undefined) c.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) c.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) c.push(`min length ${s.minLength}`);
  if (s.minItems !== undefined) c.push(`at least ${s.minItems}`);
  if (s.pattern) c.push(`pattern \`${s.pattern}\``);
  if (s['x-kubernetes-list-type'] === 'map') c.push(`keyed by ${(s['x-kubernetes-list-map-keys'] ?? []).join(', ')}`);
  return c.join('; ');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Every field below `path`, depth first, objects' own rows before their fields'. */
function rows(s: Schema, path: string, required: boolean, out: string[]): void {
  if (path) out.push(`| \`${path}\` | ${cell(typeOf(s)).replace(/\\\\\|/g, '\\|')} | ${required ? 'yes' : ''} | ${cell(constraints(s))} | ${cell(s.description ?? '')} |`);
  const obj = s.type === 'array' ? s.items : s;
  if (!obj?.properties) return;
  const prefix = s.type === 'array' ? `${path}[]` : path;
  for (const [name, child] of Object.entries(obj.properties)) {
    rows(child, prefix ? `${prefix}.${name}` : name, (obj.required ?? []).includes(name), out);
  }
}

function kindSection(k: KindDef): string {
  const spec: string[] = [];
  rows(k.spec as unknown as Schema, 'spec', true, spec);
  const status: string[] = [];
  rows(k.status as unknown as Schema, 'status', false, status);
  const head = '| field | type | required | constraints | description |\n| --- | --- | --- | --- | --- |';
  return [
    `## ${k.kind}`,
    '',
    `${k.description} \`kubectl get ${k.plural}\` (short: ${k.shortNames.map((n) => `\`${n}\``).join(', ') || 'none'})${k.scale ? '; has the scale subresource (`kubectl scale`)' : ''}.`,
    '',
    `Columns: ${k.columns.map((c) => c.name).join(', ')}.`,
    '',
    '### spec',
    '',
    head,
    ...spec.slice(1),
    '',
    '### status',
    '',
    'Written by the controllers; read it, never write it.',
    '',
    head,
    ...status.slice(1),
    '',
  ].join('\n');
}

export function renderApiReference(): string {
  return [
    '# API reference',
    '',
    `<!-- Generated from api/v1alpha1 by \`make generate\` (api/reference.ts). Do not edit by hand. -->`,
    '',
    `Group and version: \`${API_VERSION}\`. Every kind is namespaced and has a status subresource. Conditions follow`,
    'Cluster API: `type`, `status` (True, False, Unknown), `severity` (Error, Warning, Info when False), `reason`,',
    '`message`, `lastTransitionTime`. What each reason means and what to do: [troubleshooting](troubleshooting.md).',
    '',
    ...KINDS.map(kindSection),
  ].join('\n');
}
