import type { SandboxLimits } from '../types.ts';

/** The default limits, with a wall time that a slow, loaded 2-core machine still meets for a normal program. */
export const DEFAULT_LIMITS: SandboxLimits = {
  wallTimeMs: 10_000,
  cpuSeconds: 5,
  memoryBytes: 128 * 1024 * 1024,
  outputBytes: 65_536,
  processes: 64,
  openFiles: 64,
  fileBytes: 10 * 1024 * 1024,
};
