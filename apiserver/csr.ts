/**
 * The subject common name of a CertificateSigningRequest's spec.request (base64 of a PEM PKCS#10 request), read
 * from the DER directly so that any key algorithm works (kubelets send ECDSA requests; node-forge reads only RSA).
 */
const CN_OID = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const STRING_TAGS = new Set([0x0c, 0x13, 0x14, 0x16, 0x1e]);

export function csrCommonName(requestB64: string): string {
  const pem = Buffer.from(requestB64, 'base64').toString('utf8');
  const m = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]*?)-----END CERTIFICATE REQUEST-----/.exec(pem);
  if (!m) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (der.length < 16 || der[0] !== 0x30) throw new Error('asn1: structure error');
  // The subject is the first Name in CertificationRequestInfo, so the first commonName attribute is the subject's.
  const at = der.indexOf(CN_OID);
  if (at < 0) return '';
  let i = at + CN_OID.length;
  const tag = der[i++];
  if (tag === undefined || !STRING_TAGS.has(tag)) throw new Error('asn1: unsupported commonName encoding');
  let len = der[i++] ?? 0;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2) throw new Error('asn1: bad length');
    len = 0;
    for (let k = 0; k < n; k++) len = (len << 8) | (der[i++] ?? 0);
  }
  if (i + len > der.length) throw new Error('asn1: truncated');
  const bytes = der.subarray(i, i + len);
  return tag === 0x1e ? bytes.swap16().toString('utf16le') : bytes.toString('utf8');
}
