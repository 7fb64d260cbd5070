import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PACKAGE_LIMITS, type PackageLimits } from './packageLimits.ts';
import { pluginInvalid } from './pluginErrors.ts';
import { PackageCollector, type PluginPackage } from './PluginPackage.ts';

/** Reads one file without following a symlink swapped in since the walk saw it, and never past `size` + 1 bytes. */
async function readRegularFile(absolute: string, size: number): Promise<Buffer> {
  const handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const content = Buffer.alloc(size + 1);
    let length = 0;
    while (length < content.length) {
      const { bytesRead } = await handle.read(content, length, content.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length !== size) throw pluginInvalid(`${absolute} changed while the package was read`);
    return content.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a plugin folder into memory, walking it without following symlinks: a symlink, socket, FIFO or
 * device anywhere in it is refused, as is a package over `limits` (checked before each file is read).
 */
export async function readPackageDirectory(root: string, limits: PackageLimits = DEFAULT_PACKAGE_LIMITS): Promise<PluginPackage> {
  const rootStat = await lstat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw pluginInvalid(`${root} is not a directory`);
  const collector = new PackageCollector(limits);
  let directories = 0;
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(root, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (++directories > limits.maxFiles) throw pluginInvalid(`The package holds more than ${limits.maxFiles} directories`);
        await walk(path);
      } else if (entry.isFile()) {
        const { size } = await lstat(join(root, path));
        const canonical = collector.reserve(path, size);
        const content = await readRegularFile(join(root, path), size);
        collector.countBytes(content.length);
        collector.add(canonical, content);
      } else {
        const kind = entry.isSymbolicLink() ? 'a symlink' : 'not a regular file';
        throw pluginInvalid(`${path} is ${kind}; a plugin package holds only regular files and directories`, { path });
      }
    }
  };
  await walk('');
  return { files: collector.files };
}
