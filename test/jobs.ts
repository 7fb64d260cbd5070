import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '@shared/config.ts';
import { createLogger } from '@shared/logger.ts';
import { createServices, type Services } from '@shared/services.ts';
import type { JobsOptions } from '@shared/jobs/Jobs.ts';
import { TEST_JWT_SECRET, type TestBackend } from './http.ts';
import { createEmptyDatabase } from './services.ts';

/** Services on a fresh database for job tests: their own PostgreSQL database, or PGlite in a temp data dir. */
export interface TestServices {
  services: Services;
  config: Config;
  /** Where the PGlite files are (pglite only). */
  dataDir?: string;
  /** The PostgreSQL URL (postgres only). */
  databaseUrl?: string;
  /** Stops the jobs and closes everything, then drops the database or deletes the data dir. */
  close(): Promise<void>;
}

/**
 * Services as a server process builds them (createServices, migrations included), without Redis:
 * PGlite runs from a temporary data directory — files on disk, as in production — not from memory.
 */
export async function startTestServices(
  backend: TestBackend,
  options: { env?: Record<string, string>; jobs?: Partial<JobsOptions>; dataDir?: string } = {},
): Promise<TestServices> {
  const database = backend === 'postgres' ? await createEmptyDatabase() : undefined;
  const dataDir = backend === 'pglite' ? (options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-jobs-'))) : undefined;
  const config = parseConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir ?? '/nonexistent-test-data-dir',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const services = await createServices(config, { log: createLogger(config), jobs: { superviseIntervalSeconds: 1, ...options.jobs } });
  return {
    services,
    config,
    dataDir,
    databaseUrl: database?.url,
    async close() {
      try {
        await services.close();
      } finally {
        await database?.drop();
        // A data dir handed in belongs to the caller, who may open it again.
        if (dataDir && !options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Waits until `check` (which may query) holds, polling every 20 ms; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A promise a test resolves by hand: handlers wait on it to stay "running" for as long as the test needs. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
