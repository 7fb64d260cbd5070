import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { AppError } from '../../errors.ts';
import { normalizePackagePath } from './packagePath.ts';
import { DEFAULT_PACKAGE_LIMITS, type PackageLimits } from './packageLimits.ts';
import { pluginInvalid } from './pluginErrors.ts';
import { PackageCollector, type PluginPackage } from './PluginPackage.ts';

/** Room for tar's own bytes (a 512-byte header, padding and perhaps a pax record per entry) on top of the content cap. */
const TAR_BYTES_PER_ENTRY = 4096;

/**
 * Fails the inflation once more bytes came out of gunzip than any package within the limits could hold.
 * The content cap alone would not do: tar headers, pax records and runs of zero blocks are not content.
 */
class InflatedByteCap extends Transform {
  private total = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.maxBytes) return callback(pluginInvalid(`The package inflates to more than ${this.maxBytes} bytes`));
    callback(null, chunk);
  }
}

/** npm pack puts everything under `package/`; such a prefix, shared by every file, is not part of the plugin's paths. */
function stripPackagePrefix(files: Map<string, Buffer>): Map<string, Buffer> {
  const prefix = 'package/';
  if (files.size === 0 || ![...files.keys()].every((path) => path.startsWith(prefix))) return files;
  return new Map([...files].map(([path, content]) => [path.slice(prefix.length), content]));
}

/**
 * Reads a `.tgz` package into memory as it streams through gunzip and the tar parser, so that a gzip bomb is
 * stopped once past the cap rather than inflated. Only regular files and directories are accepted: links and
 * devices are refused, as are unsafe or duplicate paths and packages over `limits`.
 */
export async function readPackageArchive(
  source: Buffer | AsyncIterable<Buffer>,
  limits: PackageLimits = DEFAULT_PACKAGE_LIMITS,
): Promise<PluginPackage> {
  if (Buffer.isBuffer(source) && !(source[0] === 0x1f && source[1] === 0x8b)) {
    throw pluginInvalid('The package is not a gzip-compressed tar archive (.tgz)');
  }
  const collector = new PackageCollector(limits);
  const extract = tarExtract();
  const inflatedCap = limits.maxBytes + 2 * limits.maxFiles * TAR_BYTES_PER_ENTRY;
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const piping = pipeline(input, createGunzip(), new InflatedByteCap(inflatedCap), extract);
  // A failure of the pipeline also reaches the loop below, which reports it; this only keeps it from going unhandled.
  piping.catch(() => undefined);
  try {
    let directories = 0;
    for await (const entry of extract) {
      const { name, type, size } = entry.header;
      if (type === 'directory') {
        if (name !== './' && name !== '.') normalizePackagePath(name); // tar czf -C dir . starts with the root itself
        if (++directories > limits.maxFiles) throw pluginInvalid(`The package holds more than ${limits.maxFiles} directories`);
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        throw pluginInvalid(`The package holds ${JSON.stringify(name)}, a ${type} entry; only regular files and directories are allowed`, {
          path: name,
          type,
        });
      }
      const path = collector.reserve(name, size);
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        collector.countBytes(chunk.length);
        chunks.push(chunk);
      }
      collector.add(path, Buffer.concat(chunks));
    }
    await piping;
  } catch (error) {
    extract.destroy();
    if (error instanceof AppError) throw error;
    throw pluginInvalid(`The package is not a readable .tgz archive: ${(error as Error).message}`);
  }
  return { files: stripPackagePrefix(collector.files) };
}
