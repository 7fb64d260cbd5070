import { createHash, timingSafeEqual, verify } from 'node:crypto';
import { canonicalJson } from './canonicalJson.ts';
import { MANIFEST_FILE } from './parsePluginManifest.ts';
import { type SignatureLevel } from './pluginErrors.ts';
import { SIGNATURE_FILE, SignatureFileSchema, type SignedManifest } from './SignatureFile.ts';
import { publicKeyOf } from './signingKeys.ts';

/** What a package's SIGNATURE.json says about it. */
export interface SignatureCheck {
  /** The verdict; see `checkPackageSignature`. */
  level: SignatureLevel;
  /** The signer's key id, once SIGNATURE.json names a well-formed one. */
  keyId?: string;
  /** Why the level is what it is, for an operator: `dist/index.js changed after signing`. */
  reason: string;
}

/** Compares two SHA-256 hex digests in constant time (both are 64 hex characters by the schema). */
function sameDigest(expectedHex: string, content: Buffer): boolean {
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), createHash('sha256').update(content).digest());
}

/** The first difference between the signed file list and the package, or undefined when they match exactly. */
function firstChange(signed: SignedManifest, files: ReadonlyMap<string, Buffer>): string | undefined {
  const signedFiles = new Map(Object.entries(signed.files));
  for (const path of [...files.keys()].sort()) {
    if (path !== SIGNATURE_FILE && !signedFiles.has(path)) return `${path} was added after signing`;
  }
  for (const [path, digest] of signedFiles) {
    const content = files.get(path);
    if (!content) return `${path} was removed after signing`;
    if (!sameDigest(digest, content)) return `${path} changed after signing`;
  }
  const raw = files.get(MANIFEST_FILE);
  let claimed: { id?: unknown; version?: unknown } | undefined;
  try {
    claimed = raw ? (JSON.parse(raw.toString('utf8')) as typeof claimed) : undefined;
  } catch {
    return undefined; // signed as it is: parsePluginManifest reports it as malformed
  }
  if (claimed && (claimed.id !== signed.id || claimed.version !== signed.version)) {
    const named = `${String(claimed.id)}@${String(claimed.version)}`;
    return `${MANIFEST_FILE} names ${named} but the signature covers ${signed.id}@${signed.version}`;
  }
  return undefined;
}

/**
 * Grades a package by its SIGNATURE.json, trusting nothing in it before the signature verifies:
 * `unsigned` — there is none; `invalid` — it is malformed or its signature does not verify;
 * `modified` — validly signed, but a file changed, was added or removed since, or plugin.json names
 * another id or version than the signature; `untrusted` — intact and validly signed by a key not in
 * `trustedKeys`; `signed` — intact and signed by a trusted key.
 */
export function checkPackageSignature(files: ReadonlyMap<string, Buffer>, trustedKeys: readonly string[]): SignatureCheck {
  const raw = files.get(SIGNATURE_FILE);
  if (!raw) return { level: 'unsigned', reason: `it has no ${SIGNATURE_FILE}` };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { level: 'invalid', reason: `${SIGNATURE_FILE} is not valid JSON` };
  }
  const parsed = SignatureFileSchema.safeParse(json);
  if (!parsed.success) return { level: 'invalid', reason: `${SIGNATURE_FILE} is malformed` };
  const { manifest, keyId, signature } = parsed.data;
  const publicKey = publicKeyOf(keyId);
  if (!publicKey) return { level: 'invalid', reason: `${SIGNATURE_FILE} names no ed25519 key id` };
  if (!verify(null, canonicalJson(manifest), publicKey, Buffer.from(signature, 'base64url'))) {
    return { level: 'invalid', keyId, reason: 'the signature does not verify' };
  }
  const change = firstChange(manifest, files);
  if (change) return { level: 'modified', keyId, reason: change };
  if (!trustedKeys.includes(keyId)) {
    return { level: 'untrusted', keyId, reason: `it is signed by ${keyId}, a key this host does not trust` };
  }
  return { level: 'signed', keyId, reason: `it is signed by ${keyId}` };
}
