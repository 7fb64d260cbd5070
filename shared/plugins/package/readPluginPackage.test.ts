import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from '@jest/globals';
import { packPlugin } from './packPlugin.ts';
import { PluginFixtures, rawTgz, validEntries, type RawEntry } from './package.fixtures.ts';
import { readPackageArchive } from './readPackageArchive.ts';
import { readPluginPackage } from './readPluginPackage.ts';

const MiB = 1024 * 1024;
const fixtures = new PluginFixtures();
afterEach(() => fixtures.cleanup());

/** Reading `entries` as a .tgz must fail with plugin_invalid, its message matching `message`. */
async function expectRefused(entries: RawEntry[], message: RegExp): Promise<void> {
  await expect(readPluginPackage({ tgz: await rawTgz(entries) })).rejects.toMatchObject({ status: 400, code: 'plugin_invalid', message });
}

describe('readPluginPackage from a .tgz', () => {
  it('reads what packPlugin writes, without its package/ prefix', async () => {
    const { files } = await readPluginPackage({ tgz: await packPlugin(await fixtures.pluginDir()) });
    expect([...files.keys()].sort()).toEqual(['dist/index.js', 'plugin.json']);
    expect(JSON.parse(files.get('plugin.json')!.toString()).id).toBe('com.twinmcp.wordcount');
  });

  it('reads an archive made with tar czf -C dir . (./ paths and directory entries)', async () => {
    const dir = await fixtures.pluginDir();
    const out = join(await fixtures.tempDir(), 'plugin.tgz');
    execFileSync('tar', ['czf', out, '-C', dir, '.']);
    const { files } = await readPluginPackage({ tgz: await readFile(out) });
    expect([...files.keys()].sort()).toEqual(['dist/index.js', 'plugin.json']);
  });

  it('reads paths longer than a tar header holds (pax records)', async () => {
    const long = `assets/${'nested-folder/'.repeat(12)}icon.svg`;
    const { files } = await readPluginPackage({ tgz: await packPlugin(await fixtures.pluginDir({ files: { [long]: '<svg/>' } })) });
    expect(files.get(long)?.toString()).toBe('<svg/>');
  });

  it('keeps paths as they are when not every file is under package/', async () => {
    const { files } = await readPluginPackage({ tgz: await rawTgz([...validEntries(), { name: 'package/extra.txt', content: 'x' }]) });
    expect(files.has('package/extra.txt')).toBe(true);
  });

  it.each([
    ['../../x', /parent directory/],
    ['a/../../x', /parent directory/],
    ['package/../../x', /parent directory/],
    ['/etc/passwd', /absolute/],
    ['C:/Windows/x', /absolute/],
    ['dist\\index.js', /backslash/],
    ['dist/\u0001.js', /control character/],
  ])('refuses an entry named %j', async (name, message) => {
    await expectRefused([...validEntries(), { name, content: 'x' }], message);
  });

  it('refuses a symlink entry', async () => {
    await expectRefused([...validEntries(), { name: 'dist/link.js', type: 'symlink', linkname: '/etc/passwd' }], /symlink entry/);
  });

  it('refuses a hard link entry', async () => {
    await expectRefused([...validEntries(), { name: 'dist/link.js', type: 'link', linkname: 'plugin.json' }], /link entry/);
  });

  it('refuses a device entry', async () => {
    await expectRefused([...validEntries(), { name: 'tty', type: 'character-device', devmajor: 5, devminor: 0 }], /character-device/);
  });

  it('refuses a path that appears twice, even spelled differently', async () => {
    await expectRefused([...validEntries(), { name: 'plugin.json', content: '{}' }], /plugin.json twice/);
    await expectRefused([...validEntries(), { name: './dist//index.js', content: 'evil' }], /dist\/index.js twice/);
  });

  it('refuses more than 500 files', async () => {
    const many = Array.from({ length: 498 }, (_, index) => ({ name: `assets/${index}.txt`, content: 'x' }));
    await expect(readPluginPackage({ tgz: await rawTgz([...validEntries(), ...many]) })).resolves.toBeDefined();
    await expectRefused([...validEntries(), ...many, { name: 'one-too-many.txt', content: 'x' }], /more than 500 files/);
  });

  it('refuses a file that alone is over 20 MiB', async () => {
    await expectRefused([...validEntries(), { name: 'big.bin', content: Buffer.alloc(21 * MiB) }], /larger than 20971520 bytes/);
  });

  it('refuses a gzip bomb: a few KB that would inflate to 40 MiB', async () => {
    const files = Array.from({ length: 40 }, (_, index) => ({ name: `zeros/${index}.bin`, content: Buffer.alloc(MiB) }));
    const bomb = await rawTgz([...validEntries(), ...files]);
    expect(bomb.length).toBeLessThan(100_000);
    await expect(readPluginPackage({ tgz: bomb })).rejects.toMatchObject({ code: 'plugin_invalid', message: /larger than 20971520 bytes/ });
  });

  it('stops inflating an endless stream once past the cap', async () => {
    // One tar entry of 1 MiB of zeros, without the end-of-archive blocks, gzipped: ~1 KB that inflates to 1 MiB.
    const member = async (index: number) =>
      gzipSync(gunzipSync(await rawTgz([{ name: `zeros/${index}.bin`, content: Buffer.alloc(MiB) }])).subarray(0, -1024));
    let pulled = 0;
    async function* endless() {
      for (;;) yield await member(pulled++);
    }
    await expect(readPackageArchive(endless())).rejects.toMatchObject({ code: 'plugin_invalid', message: /larger than/ });
    // Gunzip buffers some compressed input ahead (~1 KB a member), but inflates only as the tar parser asks.
    expect(pulled).toBeLessThan(100);
  });

  it('stops inflating an endless run of zero blocks, which holds no file at all', async () => {
    const zeros = gzipSync(Buffer.alloc(MiB));
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield zeros;
      }
    }
    await expect(readPackageArchive(endless())).rejects.toMatchObject({ code: 'plugin_invalid', message: /inflates to more than/ });
    expect(pulled).toBeLessThan(100);
  });

  it('refuses bytes that are not gzip, a truncated archive and gzip that is not tar', async () => {
    await expect(readPluginPackage({ tgz: Buffer.from('{"id":"x"}') })).rejects.toMatchObject({ code: 'plugin_invalid' });
    const valid = await rawTgz(validEntries());
    await expect(readPluginPackage({ tgz: valid.subarray(0, valid.length / 2) })).rejects.toMatchObject({
      code: 'plugin_invalid',
      message: /not a readable .tgz/,
    });
    await expect(readPluginPackage({ tgz: gzipSync(Buffer.from('not a tar file '.repeat(100))) })).rejects.toMatchObject({
      code: 'plugin_invalid',
      message: /not a readable .tgz/,
    });
  });
});

describe('readPluginPackage from a folder', () => {
  it('reads every file, nested ones by their POSIX path', async () => {
    const dir = await fixtures.pluginDir({ files: { 'assets/icons/icon.svg': '<svg/>' } });
    const { files } = await readPluginPackage({ dir });
    expect([...files.keys()].sort()).toEqual(['assets/icons/icon.svg', 'dist/index.js', 'plugin.json']);
  });

  it('refuses a symlink instead of following it', async () => {
    const dir = await fixtures.pluginDir();
    await symlink('/etc/passwd', join(dir, 'dist', 'passwd'));
    await expect(readPluginPackage({ dir })).rejects.toMatchObject({ code: 'plugin_invalid', message: /dist\/passwd is a symlink/ });
  });

  it('refuses a symlinked folder', async () => {
    const dir = await fixtures.pluginDir();
    const outside = await fixtures.tempDir();
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink(outside, join(dir, 'linked'));
    await expect(readPluginPackage({ dir })).rejects.toMatchObject({ code: 'plugin_invalid', message: /linked is a symlink/ });
  });

  it('refuses a folder over the limits before reading the file that passes them', async () => {
    const dir = await fixtures.pluginDir();
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'big.bin'), Buffer.alloc(2048));
    await expect(readPluginPackage({ dir }, { maxFiles: 500, maxBytes: 1024 })).rejects.toMatchObject({
      message: /larger than 1024 bytes/,
    });
    await expect(readPluginPackage({ dir }, { maxFiles: 2, maxBytes: MiB })).rejects.toMatchObject({ message: /more than 2 files/ });
  });

  it('refuses a path that is not a folder', async () => {
    const dir = await fixtures.pluginDir();
    await expect(readPluginPackage({ dir: join(dir, 'plugin.json') })).rejects.toMatchObject({ code: 'plugin_invalid' });
  });
});
