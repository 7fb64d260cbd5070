import type { TableStat } from './types.ts';

/** Runs one SQL statement and returns its rows; adapts a pg client or a PGlite instance. */
export type RunQuery = <T>(sql: string) => Promise<T[]>;

/** Rows checksummed per table: enough to catch rows restored wrong, cheap on a large table (an index scan of the first rows). */
const SAMPLE_ROWS = 1000;

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Settings that decide how a row prints as text. Pinned so that the checksum of a row is the same when the
 * backup is made and when it is restored, whatever the connection's defaults.
 */
const STABLE_TEXT_SETTINGS = [
  "set local timezone to 'UTC'",
  "set local datestyle to 'ISO, YMD'",
  "set local intervalstyle to 'postgres'",
  'set local extra_float_digits to 1',
  "set local bytea_output to 'hex'",
];

/**
 * Row count and sample checksum of every table outside the system schemas, in the caller's open transaction
 * (the backup's snapshot, or the restored copy). Sorted by name.
 */
export async function readTableStats(query: RunQuery, options: { onTable?: () => void } = {}): Promise<TableStat[]> {
  for (const setting of STABLE_TEXT_SETTINGS) await query(setting);
  const tables = await listTables(query);
  const stats: TableStat[] = [];
  for (const table of tables) {
    const relation = `${quote(table.schema)}.${quote(table.name)}`;
    const order = table.primaryKey?.length ? table.primaryKey.map((column) => `t.${quote(column)}`).join(', ') : 't::text';
    const [row] = await query<{ rows: string | number; checksum: string }>(
      `select (select count(*) from ${relation})::text as rows,
              (select md5(coalesce(string_agg(s.line, E'\\n' order by s.n), ''))
                 from (select t::text as line, row_number() over (order by ${order}) as n
                         from ${relation} t order by ${order} limit ${SAMPLE_ROWS}) s) as checksum`,
    );
    stats.push({
      name: table.schema === 'public' ? table.name : `${table.schema}.${table.name}`,
      rows: Number(row!.rows),
      sampleChecksum: row!.checksum,
    });
    options.onTable?.();
  }
  return stats.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Ordinary and partitioned tables outside the system schemas, with their primary key columns in key order. */
export async function listTables(query: RunQuery): Promise<{ schema: string; name: string; primaryKey: string[] | null }[]> {
  return query(
    `select n.nspname as schema, c.relname as name,
            (select array_to_json(array_agg(a.attname::text order by k.ord))
               from pg_index i
               cross join unnest(i.indkey) with ordinality k(attnum, ord)
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              where i.indrelid = c.oid and i.indisprimary) as "primaryKey"
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p')
        and n.nspname not in ('pg_catalog', 'information_schema')
        and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
      order by 1, 2`,
  );
}

/** The first difference between what a backup recorded and what a restored copy holds, or undefined when they agree. */
export function firstDifference(recorded: TableStat[], restored: TableStat[]): string | undefined {
  const restoredByName = new Map(restored.map((table) => [table.name, table]));
  for (const table of recorded) {
    const copy = restoredByName.get(table.name);
    if (!copy) return `table ${table.name} is missing from the restored copy`;
    if (copy.rows !== table.rows) return `table ${table.name} has ${copy.rows} rows restored, ${table.rows} recorded`;
    if (copy.sampleChecksum !== table.sampleChecksum) return `table ${table.name} has different rows restored than recorded`;
    restoredByName.delete(table.name);
  }
  const extra = [...restoredByName.keys()][0];
  return extra === undefined ? undefined : `table ${extra} is in the restored copy but was not recorded`;
}
