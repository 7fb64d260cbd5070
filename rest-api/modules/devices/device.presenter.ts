import type { z } from 'zod';
import type { DeviceRow } from './devices.repo.ts';
import type { DeviceSchema } from './devices.schemas.ts';

export function presentDevice(row: DeviceRow): z.infer<typeof DeviceSchema> {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    previews: row.previews,
    pushService: row.kind === 'webpush' ? new URL(row.address).origin : 'https://exp.host',
    createdAt: row.created_at.toISOString(),
    lastPushedAt: row.last_pushed_at?.toISOString() ?? null,
  };
}
