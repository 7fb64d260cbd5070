/**
 * The bytes a signature covers: JSON with object keys sorted (by UTF-16 code units, as JCS does) and no
 * whitespace, so signer and verifier agree whatever order or indentation SIGNATURE.json was written in.
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(stringify(value), 'utf8');
}

function stringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stringify(item)}`).join(',')}}`;
  }
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value);
  throw new TypeError(`canonicalJson: ${typeof value} is not a JSON value`);
}
