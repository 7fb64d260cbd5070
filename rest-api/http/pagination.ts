import { z } from 'zod';

/**
 * Keyset pagination, one way for every list. A page is fetched with one row more than asked for; the
 * cursor is the sort key of the page's last row — one part or several (a timestamp and an id) — as an
 * opaque base64url string. Each part has a shape, checked when the cursor comes back, so a forged one is
 * a 400 before any query runs and can never overflow or smuggle anything into it.
 */
const CURSOR_PARTS = {
  /** A bigint sequence; 18 digits stay below PostgreSQL's bigint limit. */
  seq: /^\d{1,18}$/,
  /** A unique text sort key: a slug, a lower-cased email. */
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused: PostgreSQL text cannot hold it
  text: /^[^\u0000]{1,320}$/,
  /** A timestamp to the microsecond, in UTC, as PostgreSQL's to_char prints it (a Date would drop the microseconds). */
  timestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
  /** A tie-breaking id. */
  id: /^[\w-]{1,64}$/,
} as const;

export type CursorPart = keyof typeof CURSOR_PARTS;
type CursorOf<P extends readonly CursorPart[]> = { [K in keyof P]: string };

const NOT_OURS = 'is not a cursor this API issued';

/** Opaque to clients; its shape may change. */
export function encodeCursor(parts: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(parts.map(String))).toString('base64url');
}

function decodeCursor(cursor: string, parts: readonly CursorPart[]): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== parts.length) return undefined;
  return value.every((part, i) => typeof part === 'string' && CURSOR_PARTS[parts[i]!].test(part)) ? (value as string[]) : undefined;
}

/**
 * `?limit=&cursor=` for a list sorted by `parts`. The route gets the cursor already decoded (a tuple of
 * sort keys, or undefined on the first page), so repositories take plain keys and never see the HTTP layer.
 */
export function pageQuery<const P extends readonly CursorPart[]>(...parts: P) {
  return z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z
      .string()
      .max(400)
      .optional()
      .describe('The `nextCursor` of the previous page')
      .transform((cursor, ctx) => {
        if (cursor === undefined) return undefined;
        const after = decodeCursor(cursor, parts);
        if (after) return after as CursorOf<P>;
        ctx.addIssue({ code: 'custom', message: NOT_OURS });
        return z.NEVER;
      }),
  });
}

/** `{ data, pagination }` from a page fetched with one extra row; `keyOf` gives a row's sort key. */
export function presentPage<R, P>(rows: R[], limit: number, keyOf: (row: R) => ReadonlyArray<string | number>, present: (row: R) => P) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(present), pagination: { nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null } };
}
