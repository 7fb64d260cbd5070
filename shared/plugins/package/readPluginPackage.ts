import { type PackageLimits, DEFAULT_PACKAGE_LIMITS } from './packageLimits.ts';
import { type PluginPackage } from './PluginPackage.ts';
import { readPackageArchive } from './readPackageArchive.ts';
import { readPackageDirectory } from './readPackageDirectory.ts';

/** Where a package comes from: a plugin folder (authors, tests) or the bytes of a `.tgz` (uploads). */
export type PackageSource = { dir: string } | { tgz: Buffer };

/**
 * Reads a plugin package into memory, refusing (`plugin_invalid`) anything unsafe or too large before it
 * is held: see `readPackageDirectory` and `readPackageArchive`. The result is not yet trusted; pass it to
 * `verifyPluginPackage`.
 */
export async function readPluginPackage(source: PackageSource, limits: PackageLimits = DEFAULT_PACKAGE_LIMITS): Promise<PluginPackage> {
  return 'dir' in source ? readPackageDirectory(source.dir, limits) : readPackageArchive(source.tgz, limits);
}
