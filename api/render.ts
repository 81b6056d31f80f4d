import yaml from 'js-yaml';
import { KINDS, crdFileName, crdFor } from './v1alpha1/index.js';

const HEADER = '# Generated from api/v1alpha1 by `make generate`. Do not edit by hand.\n';

/** The crds/ folder's files (name → YAML text), exactly as `make generate` writes them. */
export function renderCRDFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of KINDS) {
    files.set(crdFileName(def), HEADER + yaml.dump(crdFor(def), { lineWidth: -1, noRefs: true, sortKeys: false }));
  }
  return files;
}
