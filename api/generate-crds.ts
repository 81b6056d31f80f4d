/** Writes crds/*.yaml from the TypeScript API types: `make generate`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { renderApiReference } from './reference.js';
import { renderCRDFiles, renderDeployCRDs } from './render.js';

const out = process.argv[2] ?? join(repoRoot(), 'crds');
mkdirSync(out, { recursive: true });
for (const [file, text] of renderCRDFiles()) {
  writeFileSync(join(out, file), text);
  process.stdout.write(`wrote ${join(out, file)}\n`);
}
const bundle = join(repoRoot(), 'deploy', 'crds.yaml');
writeFileSync(bundle, renderDeployCRDs());
process.stdout.write(`wrote ${bundle}\n`);
// The API reference page comes from the same schemas.
const reference = join(repoRoot(), 'docs', 'api-reference.md');
writeFileSync(reference, renderApiReference());
process.stdout.write(`wrote ${reference}\n`);
