/**
 * spec.bootstrap.files[].contentFrom: a file whose content lives in a Secret of the Machine's namespace, as
 * Cluster API's KubeadmConfig allows, so that credentials need not be written into the Machine itself. The
 * content is copied into the user-data (which is itself a Secret) when it is rendered.
 */
import type { Bootstrap } from '../../api/v1alpha1/index.js';

export type SecretData = (name: string) => Promise<Record<string, string> | undefined>;

/**
 * The extras with every contentFrom replaced by inline content, or what is missing. Without an explicit
 * encoding the bytes travel base64-encoded, so binary content arrives unchanged; with one, the Secret's value
 * is taken to be in that encoding already. The error names the field and the Secret, never the content.
 */
export async function resolveFileContent(extras: Bootstrap | undefined, secretData: SecretData): Promise<{ extras?: Bootstrap; missing?: string }> {
  if (!extras?.files?.some((f) => f.contentFrom)) return { extras };
  const files: NonNullable<Bootstrap['files']> = [];
  for (const [i, f] of extras.files.entries()) {
    if (!f.contentFrom || f.content !== undefined) {
      files.push(f);
      continue;
    }
    const { name, key } = f.contentFrom.secret;
    const data = await secretData(name);
    const value = data?.[key];
    if (value === undefined) {
      return { missing: `spec.bootstrap.files[${i}].contentFrom: ${data ? `key "${key}" not found in Secret "${name}"` : `Secret "${name}" not found`}` };
    }
    const { contentFrom: _c, ...rest } = f;
    files.push(f.encoding ? { ...rest, content: Buffer.from(value, 'base64').toString('utf8') } : { ...rest, content: value, encoding: 'base64' });
  }
  return { extras: { ...extras, files } };
}
