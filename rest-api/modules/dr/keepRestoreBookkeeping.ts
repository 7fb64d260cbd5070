import type { Knex } from 'knex';

/** Columns of the bookkeeping tables that are jsonb: node-postgres reads them as objects and must be sent JSON text. */
const JSON_COLUMNS: Record<string, string[]> = {
  backups: ['tables', 'verification', 'error', 'progress', 'physical', 'media'],
  restores: ['progress', 'error', 'result', 'media'],
};
const USER_COLUMNS: Record<string, string> = { backups: 'created_by', restores: 'created_by' };

export type Bookkeeping = Record<string, Array<Record<string, unknown>>>;

/**
 * What an in-place restore must not roll back: the list of backups (their objects are all still in storage, and the
 * backup's own row was `running` when it was dumped) and the restores. Read before the restore…
 */
export async function readBookkeeping(db: Knex): Promise<Bookkeeping> {
  const rowsOf = (table: string) => db<Record<string, unknown>>(table).select('*') as Promise<Array<Record<string, unknown>>>;
  return { backups: await rowsOf('backups'), restores: await rowsOf('restores') };
}

/**
 * …and written back over what the restore brought, in one transaction. A creator the restored database does not know
 * (an account made after the backup) becomes null.
 */
export async function writeBackBookkeeping(db: Knex, bookkeeping: Bookkeeping): Promise<void> {
  await db.transaction(async (trx) => {
    const userIds = new Set(await trx('users').pluck('id'));
    for (const table of ['backups', 'restores']) {
      await trx(table).delete();
      const rows = bookkeeping[table]!.map((row) => {
        const copy: Record<string, unknown> = { ...row };
        for (const column of JSON_COLUMNS[table]!) copy[column] = row[column] === null ? null : JSON.stringify(row[column]);
        const userColumn = USER_COLUMNS[table]!;
        if (copy[userColumn] && !userIds.has(copy[userColumn])) copy[userColumn] = null;
        return copy;
      });
      for (let start = 0; start < rows.length; start += 500) await trx(table).insert(rows.slice(start, start + 500));
    }
  });
}
