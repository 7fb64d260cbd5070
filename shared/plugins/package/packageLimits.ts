/** What one plugin package may hold; both readers (directory and .tgz) enforce it. */
export interface PackageLimits {
  /** Most regular files in the package (directories are not counted). */
  maxFiles: number;
  /** Most bytes of file content, all files together, once unpacked. */
  maxBytes: number;
}

/** 500 files and 20 MiB: far above a bundled plugin, far below what hurts the host to hold in memory. */
export const DEFAULT_PACKAGE_LIMITS: PackageLimits = { maxFiles: 500, maxBytes: 20 * 1024 * 1024 };
