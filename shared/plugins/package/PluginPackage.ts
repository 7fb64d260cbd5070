import { normalizePackagePath } from './packagePath.ts';
import { type PackageLimits } from './packageLimits.ts';
import { pluginInvalid } from './pluginErrors.ts';

/** A plugin package held in memory: every regular file by its canonical POSIX path. Nothing in it is trusted yet. */
export interface PluginPackage {
  /** File contents by path (`plugin.json`, `dist/index.js`, `SIGNATURE.json`, …). */
  files: Map<string, Buffer>;
}

/**
 * Gathers a package's files for a reader (directory or archive) while holding it to the limits: paths are
 * normalized, a path seen twice is refused, and the file count and total size are checked before a file's
 * bytes are read, so an oversized package fails without being loaded.
 */
export class PackageCollector {
  readonly files = new Map<string, Buffer>();
  private totalBytes = 0;

  constructor(private readonly limits: PackageLimits) {}

  /** Admits a file of `size` bytes at `rawPath` (checked before any is read) and returns its canonical path. */
  reserve(rawPath: string, size: number): string {
    const path = normalizePackagePath(rawPath);
    if (this.files.has(path)) throw pluginInvalid(`The package holds ${path} twice`, { path });
    if (this.files.size >= this.limits.maxFiles) throw pluginInvalid(`The package holds more than ${this.limits.maxFiles} files`);
    if (this.totalBytes + size > this.limits.maxBytes) throw this.tooLarge();
    this.files.set(path, Buffer.alloc(0));
    return path;
  }

  /** Counts content bytes as they arrive (a declared size may lie); throws once the package is past its cap. */
  countBytes(size: number): void {
    this.totalBytes += size;
    if (this.totalBytes > this.limits.maxBytes) throw this.tooLarge();
  }

  /** Stores the content of a reserved file. */
  add(path: string, content: Buffer): void {
    this.files.set(path, content);
  }

  private tooLarge() {
    return pluginInvalid(`The package is larger than ${this.limits.maxBytes} bytes unpacked`, { maxBytes: this.limits.maxBytes });
  }
}
