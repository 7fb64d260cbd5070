import { loadConfig } from '@shared/config.ts';
import { migrationSource } from './migrations/index.ts';

/** For the knex CLI. The product itself migrates at start (and `npm run migrate`) through shared/db. */
const config = loadConfig();

export default {
  client: 'pg',
  connection: config.DATABASE_URL,
  migrations: { migrationSource },
};
