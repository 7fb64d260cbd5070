import { migrationSource } from '../../migrations/index.ts';
import type { RunQuery } from './tableStats.ts';

/** What a restored copy's schema history says, against the migrations this code knows. */
export type MigrationsCheck =
  { ok: true; applied: number; pending: string[] } | { ok: false; code: 'backup_schema_missing' | 'backup_schema_unknown'; reason: string };

/** The migrations this code knows, in order. */
export async function knownMigrationNames(): Promise<string[]> {
  return migrationSource.getMigrations([]);
}

/**
 * What a restore requires of the schema: a knex_migrations table with at least one migration, and no migration
 * this code does not know (a backup from a newer release, which this code would run against a schema it cannot
 * read). Migrations the backup predates are allowed and reported as pending: the next start applies them.
 */
export async function checkMigrations(query: RunQuery, known: string[]): Promise<MigrationsCheck> {
  const [table] = await query<{ exists: boolean }>("select to_regclass('public.knex_migrations') is not null as exists");
  const applied = table?.exists
    ? (await query<{ name: string }>('select name from knex_migrations order by id')).map((row) => row.name)
    : [];
  if (applied.length === 0) return { ok: false, code: 'backup_schema_missing', reason: 'The restored copy has no migrations recorded' };
  const knownSet = new Set(known);
  const unknown = applied.filter((name) => !knownSet.has(name));
  if (unknown.length > 0) {
    return {
      ok: false,
      code: 'backup_schema_unknown',
      reason: `The restored copy has migrations this release does not know: ${unknown.join(', ')}`,
    };
  }
  const appliedSet = new Set(applied);
  return { ok: true, applied: applied.length, pending: known.filter((name) => !appliedSet.has(name)) };
}
