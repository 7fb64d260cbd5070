import type { Knex } from 'knex';
import type { JudgedRegion } from './judgeRegions.ts';

/** Writes one round: a health_checks row per region and component, and each region's latest state in `regions`. */
export async function saveRegionHealth(db: Knex, regions: JudgedRegion[], checkedBy: string): Promise<void> {
  if (regions.length === 0) return;
  const checks = regions.flatMap((region) =>
    [{ component: 'api', check: region.api }, ...(region.database ? [{ component: 'database', check: region.database }] : [])].map(
      ({ component, check }) => ({
        region: region.region.name,
        component,
        ok: check.ok,
        latency_ms: check.latencyMs,
        detail: check.detail,
        checked_by: checkedBy,
        checked_at: region.checkedAt,
      }),
    ),
  );
  await db.transaction(async (trx) => {
    await trx('health_checks').insert(checks);
    await trx('regions')
      .insert(
        regions.map((region) => ({
          name: region.region.name,
          api_url: region.region.apiUrl,
          collab_url: region.region.collabUrl,
          database_host: region.region.databaseHost ?? null,
          role: region.role,
          status: region.status,
          last_checked_at: region.checkedAt,
        })),
      )
      .onConflict('name')
      .merge();
  });
}

/** Deletes health checks older than `maxAgeMs`; returns how many. */
export async function pruneHealthChecks(db: Knex, maxAgeMs: number): Promise<number> {
  return db('health_checks')
    .where('checked_at', '<', new Date(Date.now() - maxAgeMs))
    .delete();
}
