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

/**
 * deploy/crds.yaml: the same CRDs in one multi-document file, because kustomize (`kubectl apply -k deploy/`)
 * loads nothing from outside its folder, while crds/ stays plain for `kubectl apply -f crds/`.
 */
export function renderDeployCRDs(): string {
  return HEADER + KINDS.map((def) => yaml.dump(crdFor(def), { lineWidth: -1, noRefs: true, sortKeys: false })).join('---\n');
}
