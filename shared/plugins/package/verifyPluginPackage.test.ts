import { sign } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonicalJson.ts';
import { DEV_PLUGIN_KEY_PATH, DEV_PLUGIN_PUBLIC_KEY } from './devKey.ts';
import { packPlugin } from './packPlugin.ts';
import { PluginFixtures, rawTgz, wordCountManifest } from './package.fixtures.ts';
import { readPluginPackage } from './readPluginPackage.ts';
import { signPluginDirectory } from './signPluginDirectory.ts';
import { generateSigningKey, loadSigningKey, parseTrustedKeys } from './signingKeys.ts';
import { verifyPluginPackage, type VerifyOptions } from './verifyPluginPackage.ts';

const fixtures = new PluginFixtures();
afterEach(() => fixtures.cleanup());

/** A plugin folder signed with a fresh key, and that key's id. */
async function signedPlugin(manifest = wordCountManifest()): Promise<{ dir: string; keyId: string; privateKeyPem: string }> {
  const dir = await fixtures.pluginDir({ manifest });
  const { privateKeyPem, publicKey } = generateSigningKey();
  await signPluginDirectory(dir, privateKeyPem);
  return { dir, keyId: publicKey, privateKeyPem };
}

/** Verifies the folder as an install would. */
async function verifyDir(dir: string, options: VerifyOptions) {
  return verifyPluginPackage(await readPluginPackage({ dir }), options);
}

/** What verifying the folder throws (failing the test when it does not). */
async function refusalOf(dir: string, options: VerifyOptions): Promise<unknown> {
  return verifyDir(dir, options).then(
    () => {
      throw new Error('expected the package to be refused');
    },
    (error: unknown) => error,
  );
}

const signatureOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'SIGNATURE.json'), 'utf8'));

describe('verifyPluginPackage', () => {
  it('admits a package signed by a trusted key as signed, from a folder and from a .tgz', async () => {
    const { dir, keyId } = await signedPlugin();
    const fromDir = await verifyDir(dir, { trustedKeys: [keyId], allowUnsigned: false });
    expect(fromDir.signature).toEqual({ level: 'signed', keyId });
    expect(fromDir.manifest.id).toBe('com.twinmcp.wordcount');
    expect(fromDir.entrySource).toContain('export function count_words');

    const fromTgz = verifyPluginPackage(await readPluginPackage({ tgz: await packPlugin(dir) }), {
      trustedKeys: [keyId],
      allowUnsigned: false,
    });
    expect(fromTgz.signature).toEqual({ level: 'signed', keyId });
  });

  it('still verifies after SIGNATURE.json is re-indented and its keys reordered', async () => {
    const { dir, keyId } = await signedPlugin();
    const { manifest, keyId: signer, signature } = await signatureOf(dir);
    const reordered = {
      signature,
      keyId: signer,
      manifest: { signedAt: manifest.signedAt, files: manifest.files, version: manifest.version, id: manifest.id },
    };
    await writeFile(join(dir, 'SIGNATURE.json'), JSON.stringify(reordered));
    expect((await verifyDir(dir, { trustedKeys: [keyId], allowUnsigned: false })).signature.level).toBe('signed');
  });

  it('refuses an unsigned package, unless unsigned packages are allowed', async () => {
    const dir = await fixtures.pluginDir();
    expect(await refusalOf(dir, { trustedKeys: [], allowUnsigned: false })).toMatchObject({
      status: 422,
      code: 'plugin_signature',
      level: 'unsigned',
      message: /is unsigned: it has no SIGNATURE.json/,
    });
    expect((await verifyDir(dir, { trustedKeys: [], allowUnsigned: true })).signature).toEqual({ level: 'unsigned' });
  });

  it('refuses a package signed by a key it does not trust as untrusted, unless unsigned packages are allowed', async () => {
    const { dir, keyId } = await signedPlugin();
    const other = generateSigningKey().publicKey;
    expect(await refusalOf(dir, { trustedKeys: [other], allowUnsigned: false })).toMatchObject({ level: 'untrusted', details: { keyId } });
    expect((await verifyDir(dir, { trustedKeys: [other], allowUnsigned: true })).signature).toEqual({ level: 'untrusted', keyId });
  });

  describe('refuses a package changed after signing as modified, even when unsigned packages are allowed', () => {
    it.each<[string, (dir: string) => Promise<void>, RegExp]>([
      [
        'its entry module edited',
        (dir) => writeFile(join(dir, 'dist/index.js'), 'fetch("https://evil.example")'),
        /dist\/index.js changed/,
      ],
      ['a file added', (dir) => writeFile(join(dir, 'dist/extra.js'), 'export {}'), /dist\/extra.js was added after signing/],
      ['a file removed', (dir) => rm(join(dir, 'dist/index.js')), /dist\/index.js was removed after signing/],
      [
        'permissions it was not signed with',
        (dir) =>
          writeFile(join(dir, 'plugin.json'), JSON.stringify(wordCountManifest({ permissions: ['code:execute', 'http:evil.example'] }))),
        /plugin.json changed after signing/,
      ],
    ])('%s', async (_case, change, reason) => {
      const { dir, keyId } = await signedPlugin();
      await change(dir);
      for (const allowUnsigned of [false, true]) {
        expect(await refusalOf(dir, { trustedKeys: [keyId], allowUnsigned })).toMatchObject({
          status: 422,
          level: 'modified',
          message: reason,
        });
      }
    });

    it('a signature made for another plugin id', async () => {
      const { dir, keyId, privateKeyPem } = await signedPlugin();
      const { manifest } = await signatureOf(dir);
      const forged = { ...manifest, id: 'com.twinmcp.other' };
      const signature = sign(null, canonicalJson(forged), loadSigningKey(privateKeyPem)).toString('base64url');
      await writeFile(join(dir, 'SIGNATURE.json'), JSON.stringify({ manifest: forged, keyId, signature }));
      expect(await refusalOf(dir, { trustedKeys: [keyId], allowUnsigned: true })).toMatchObject({
        level: 'modified',
        message: /plugin.json names com.twinmcp.wordcount@1.2.0 but the signature covers com.twinmcp.other@1.2.0/,
      });
    });

    it('a .tgz whose entry module was swapped', async () => {
      const { dir, keyId } = await signedPlugin();
      const { files } = await readPluginPackage({ tgz: await packPlugin(dir) });
      files.set('dist/index.js', Buffer.from('export const stolen = true;'));
      const repacked = await rawTgz([...files].map(([name, content]) => ({ name: `package/${name}`, content })));
      const pkg = await readPluginPackage({ tgz: repacked });
      expect(() => verifyPluginPackage(pkg, { trustedKeys: [keyId], allowUnsigned: true })).toThrow(/is modified: dist\/index.js changed/);
    });
  });

  describe('refuses a package whose signature is broken as invalid, even when unsigned packages are allowed', () => {
    it.each<[string, (signature: Record<string, unknown>, trusted: string) => unknown]>([
      [
        'a corrupted signature',
        (file) => ({ ...file, signature: `${String(file.signature).startsWith('A') ? 'B' : 'A'}${String(file.signature).slice(1)}` }),
      ],
      ['a signature claimed by a trusted key it is not from', (file, trusted) => ({ ...file, keyId: trusted })],
      ['a signed manifest edited afterwards', (file) => ({ ...file, manifest: { ...(file.manifest as object), version: '9.9.9' } })],
      ['a signature that is not base64url', (file) => ({ ...file, signature: 'not a signature' })],
      ['a key id that is no key', (file) => ({ ...file, keyId: 'rsa:abc' })],
      ['an unknown field', (file) => ({ ...file, comment: 'trust me' })],
    ])('%s', async (_case, corrupt) => {
      const { dir } = await signedPlugin();
      const trusted = generateSigningKey().publicKey;
      await writeFile(join(dir, 'SIGNATURE.json'), JSON.stringify(corrupt(await signatureOf(dir), trusted)));
      expect(await refusalOf(dir, { trustedKeys: [trusted], allowUnsigned: true })).toMatchObject({ status: 422, level: 'invalid' });
    });

    it('a SIGNATURE.json that is not JSON', async () => {
      const { dir, keyId } = await signedPlugin();
      await writeFile(join(dir, 'SIGNATURE.json'), '{ "manifest": ');
      expect(await refusalOf(dir, { trustedKeys: [keyId], allowUnsigned: true })).toMatchObject({
        level: 'invalid',
        message: /not valid JSON/,
      });
    });
  });

  it('refuses a plugin written for a host API this host does not provide', async () => {
    const { dir, keyId } = await signedPlugin(wordCountManifest({ hostApi: '^2.0.0' }));
    expect(await refusalOf(dir, { trustedKeys: [keyId], allowUnsigned: false })).toMatchObject({
      status: 422,
      code: 'plugin_host_api',
      message: 'The plugin needs host API ^2.0.0; this host provides 1.0.0',
    });
    expect((await verifyDir(dir, { trustedKeys: [keyId], allowUnsigned: false, hostApiVersion: '2.1.0' })).manifest.hostApi).toBe('^2.0.0');
  });

  it('refuses a signed package whose plugin.json is invalid as plugin_invalid', async () => {
    const dir = await fixtures.pluginDir({ manifest: wordCountManifest({ permissions: ['root'] }) });
    await expect(signPluginDirectory(dir, generateSigningKey().privateKeyPem)).rejects.toMatchObject({ code: 'plugin_invalid' });
  });
});

describe('the development key', () => {
  it('is the committed private key whose public half DEV_PLUGIN_PUBLIC_KEY names', async () => {
    const dir = await fixtures.pluginDir();
    const { keyId } = await signPluginDirectory(dir, await readFile(DEV_PLUGIN_KEY_PATH, 'utf8'));
    expect(keyId).toBe(DEV_PLUGIN_PUBLIC_KEY);
    expect((await verifyDir(dir, { trustedKeys: [DEV_PLUGIN_PUBLIC_KEY], allowUnsigned: false })).signature.level).toBe('signed');
  });
});

describe('parseTrustedKeys', () => {
  it('reads PLUGIN_TRUSTED_KEYS and names a malformed entry', () => {
    const a = generateSigningKey().publicKey;
    expect(parseTrustedKeys(` ${a}, ${DEV_PLUGIN_PUBLIC_KEY} ,`)).toEqual([a, DEV_PLUGIN_PUBLIC_KEY]);
    expect(parseTrustedKeys('')).toEqual([]);
    expect(() => parseTrustedKeys(`${a},ed25519:short`)).toThrow(/ed25519:short/);
  });
});
