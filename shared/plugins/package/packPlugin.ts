import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { parsePluginManifest } from './parsePluginManifest.ts';
import { readPackageDirectory } from './readPackageDirectory.ts';

/** npm's fixed timestamp for packed files (1985-10-26), so that packing the same folder twice gives the same bytes. */
const PACKED_MTIME = new Date('1985-10-26T08:15:00Z');

/**
 * Packs a plugin folder (signed or not) into a `.tgz` the way `npm pack` lays it out, under `package/`.
 * The folder is checked first as an install would check it, so an invalid plugin is not packed.
 */
export async function packPlugin(dir: string): Promise<Buffer> {
  const { files } = await readPackageDirectory(dir);
  parsePluginManifest(files);
  const tar = tarPack();
  const gzip = createGzip();
  const packed = buffer(gzip);
  const piping = pipeline(tar, gzip);
  for (const path of [...files.keys()].sort()) {
    const content = files.get(path)!;
    tar.entry({ name: `package/${path}`, size: content.length, mode: 0o644, mtime: PACKED_MTIME }, content);
  }
  tar.finalize();
  await piping;
  return packed;
}
