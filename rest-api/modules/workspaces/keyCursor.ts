import { ValidationError } from '@shared/errors.ts';

/**
 * Opaque keyset cursor over a unique text sort key (a slug, a lowercased email). Workspace tables have
 * no `seq` column, so these lists page by the key they are sorted on. Clients must not parse it.
 */
export function encodeKeyCursor(key: string): string {
  return Buffer.from(`k:${key}`).toString('base64url');
}

/** The key a cursor points after; a cursor we did not issue is a 400. */
export function decodeKeyCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith('k:') || decoded.includes('\u0000')) {
    const message = 'is not a cursor this API issued';
    throw new ValidationError(`query.cursor: ${message}`, { fields: [{ field: 'query.cursor', message }] });
  }
  return decoded.slice(2);
}

/** `{ data, pagination }` from a page fetched with one extra row. */
export function presentKeyPage<R, P>(rows: R[], limit: number, keyOf: (row: R) => string, present: (row: R) => P) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(present), pagination: { nextCursor: rows.length > limit && last ? encodeKeyCursor(keyOf(last)) : null } };
}
