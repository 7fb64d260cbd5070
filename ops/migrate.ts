import { loadConfig } from '@shared/config.ts';
import { createDb, migrateLatest } from '@shared/db.ts';
import { createLogger } from '@shared/logger.ts';

/** `npm run migrate`: brings the configured database (PostgreSQL, or the embedded PGlite) up to date. */
const config = loadConfig();
const log = createLogger(config);
const db = createDb(config);
try {
  const applied = await migrateLatest(db);
  log.info(
    { applied, database: config.DATABASE_URL ? 'postgresql' : 'pglite' },
    applied.length ? 'migrations applied' : 'schema up to date',
  );
} finally {
  await db.destroy();
}
