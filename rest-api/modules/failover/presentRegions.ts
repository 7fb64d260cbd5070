import type { RegionConfig } from '@shared/config.ts';
import type { Regions } from './failover.schemas.ts';
import type { JudgedRegion } from './judgeRegions.ts';

/**
 * Every configured region, in configuration order, with its latest round (status `unknown` before the
 * first). What a client needs to pick a region is public; database hosts and each component's answer
 * are for operators.
 */
export function presentRegions(props: {
  self: string | undefined;
  configured: RegionConfig[];
  latest: JudgedRegion[];
  isOperator: boolean;
}): Regions {
  return {
    self: props.self ?? null,
    regions: props.configured.map((region) => {
      const judged = props.latest.find((candidate) => candidate.region.name === region.name);
      const publicView = {
        name: region.name,
        apiUrl: region.apiUrl,
        collabUrl: region.collabUrl,
        status: judged?.status ?? 'unknown',
        role: judged?.role ?? 'unknown',
        checkedAt: judged?.checkedAt.toISOString() ?? null,
      };
      if (!props.isOperator) return publicView;
      return {
        ...publicView,
        databaseHost: region.databaseHost ?? null,
        checks: judged
          ? {
              api: { ok: judged.api.ok, latencyMs: judged.api.latencyMs, detail: judged.api.detail },
              database: judged.database
                ? { ok: judged.database.ok, latencyMs: judged.database.latencyMs, detail: judged.database.detail }
                : null,
            }
          : null,
      };
    }),
  };
}
