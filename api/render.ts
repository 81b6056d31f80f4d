import yaml from 'js-yaml';
import { KINDS, crdFileName, crdFor } from './v1alpha1/index.js';

const HEADER = '# Generated from api/v1alpha1 by `make generate`. Do not edit by hand.\n';

/** The crds/ folder's files (name → YAML text), exactly as `make generate` writes them. */
export function renderCRDFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of KINDS) {
    files.set(crdFileName(def), HEADER + yaml.dump(crdFor(def), { lineWidth: -1, noRefs: true, sortKeys: false }));
  }
  // For `kubectl apply -k crds/`; deploy/ includes this folder.
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: KINDS.map(crdFileName) };
  files.set('kustomization.yaml', HEADER + yaml.dump(kustomization, { lineWidth: -1 }));
  return files;
}
