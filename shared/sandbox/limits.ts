import { parseConfig, type Config } from '../config.ts';
import type { SandboxLimits } from './types.ts';

/** The limits of one run from the deployment's configuration; `timeoutMs` is the caller's wish, already capped. */
export function limitsFromConfig(config: Config, timeoutMs?: number): SandboxLimits {
  return {
    wallTimeMs: timeoutMs ?? config.CODE_EXEC_TIMEOUT_MS,
    cpuSeconds: config.CODE_EXEC_CPU_SECONDS,
    memoryBytes: config.CODE_EXEC_MEMORY_MB * 1024 * 1024,
    outputBytes: config.CODE_EXEC_OUTPUT_BYTES,
    processes: config.CODE_EXEC_PROCESSES,
    openFiles: config.CODE_EXEC_OPEN_FILES,
    fileBytes: config.CODE_EXEC_FILE_BYTES,
  };
}

/** The limits a deployment gets when it sets none, with `overrides`: for tests and measurements. */
export function defaultLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  return { ...limitsFromConfig(parseConfig({})), ...overrides };
}
