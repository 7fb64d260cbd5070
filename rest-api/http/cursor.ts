import { ValidationError } from '@shared/errors.ts';

/** Opaque keyset cursor over a row's `seq`. Clients must not parse it; its shape may change. */
export function encodeCursor(seq: number | string): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

/** The `seq` a cursor points after; a cursor we did not issue is a 400. */
export function decodeCursor(cursor: string): string {
  // 18 digits stay below PostgreSQL's bigint limit, so a forged cursor can never overflow the query.
  const match = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    const message = 'is not a cursor this API issued';
    throw new ValidationError(`query.cursor: ${message}`, { fields: [{ field: 'query.cursor', message }] });
  }
  return match[1]!;
}
