/**
 * The template hash that names a MachineDeployment's MachineSet for one template revision (the MachineSet controller
 * reads it too: an outdated MachineSet of an OnDelete rollout is frozen).
 */
import { Labels, type MachineTemplate } from '../../api/v1alpha1/index.js';
import { stableJson } from './stable-json.js';

/** The template without the hash label: what two revisions are compared on. */
export function templateWithoutHash(t: MachineTemplate): MachineTemplate {
  const copy = structuredClone(t);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[Labels.templateHash];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

export function templatesEqual(a: MachineTemplate, b: MachineTemplate): boolean {
  return stableJson(templateWithoutHash(a)) === stableJson(templateWithoutHash(b));
}

/** Vowel-free alphabet, as apimachinery's SafeEncodeString, so a hash never spells a word. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a (32 bit) of the template, ignoring the hash label, safe-encoded: a valid label value and name suffix. */
export function templateHash(t: MachineTemplate): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(stableJson(templateWithoutHash(t)), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h).split('').map((d) => ALPHABET[Number(d)]!).join('').concat(ALPHABET[h % ALPHABET.length]!);
}
