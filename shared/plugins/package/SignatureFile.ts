import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The file that carries a package's signature; every other file is covered by it. */
export const SIGNATURE_FILE = 'SIGNATURE.json';

/** What the signer vouches for: the plugin, its version and the SHA-256 of every file but SIGNATURE.json. */
export const SignedManifestSchema = z.strictObject({
  id: z.string(),
  version: z.string(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  signedAt: z.iso.datetime(),
});

/** SIGNATURE.json: the signed manifest, the key id of its signer and the ed25519 signature (base64url). */
export const SignatureFileSchema = z.strictObject({
  manifest: SignedManifestSchema,
  keyId: z.string(),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

/** The signed part of SIGNATURE.json. */
export type SignedManifest = z.infer<typeof SignedManifestSchema>;

/** The SHA-256 of a file as SIGNATURE.json lists it (lowercase hex). */
export const sha256Hex = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** The `files` of a signed manifest for these package files: every one but SIGNATURE.json, in path order. */
export function fileDigests(files: ReadonlyMap<string, Buffer>): Record<string, string> {
  const paths = [...files.keys()].filter((path) => path !== SIGNATURE_FILE).sort();
  return Object.fromEntries(paths.map((path) => [path, sha256Hex(files.get(path)!)]));
}
