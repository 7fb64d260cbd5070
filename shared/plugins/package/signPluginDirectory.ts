import { sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from './canonicalJson.ts';
import { parsePluginManifest } from './parsePluginManifest.ts';
import { readPackageDirectory } from './readPackageDirectory.ts';
import { fileDigests, SIGNATURE_FILE, type SignedManifest } from './SignatureFile.ts';
import { keyIdOf, loadSigningKey } from './signingKeys.ts';

/**
 * Signs a plugin folder: checks it as an install would (limits, safe paths, a valid plugin.json), then
 * writes SIGNATURE.json covering every other file in it. Sign the folder you will ship, as it will ship:
 * any later change to it makes the package `modified`.
 */
export async function signPluginDirectory(dir: string, privateKeyPem: string): Promise<{ keyId: string; manifest: SignedManifest }> {
  const key = loadSigningKey(privateKeyPem);
  const { files } = await readPackageDirectory(dir);
  const plugin = parsePluginManifest(files);
  const signedAt = new Date().toISOString();
  const manifest: SignedManifest = { id: plugin.id, version: plugin.version, files: fileDigests(files), signedAt };
  const keyId = keyIdOf(key);
  const signature = sign(null, canonicalJson(manifest), key).toString('base64url');
  await writeFile(join(dir, SIGNATURE_FILE), `${JSON.stringify({ manifest, keyId, signature }, null, 2)}\n`);
  return { keyId, manifest };
}
