import { z } from 'zod';
import { IdInput } from '@shared/ids.ts';

/** The shape of every error response. */
export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'validation_failed' }),
      message: z.string(),
      fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** `{ data }` around a single resource. */
export const dataOf = <T extends z.ZodType>(schema: T) => z.object({ data: schema });

/** `{ data, pagination }` around a page of resources. */
export const pageOf = <T extends z.ZodType>(schema: T) =>
  z.object({
    data: z.array(schema),
    pagination: z.object({ nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') }),
  });

/** An email address as accounts and invitations take it. */
export const Email = z.email().max(254).meta({ example: 'ada@example.com' });

/** Text PostgreSQL can store: anything but NUL, which it refuses (and which never belongs in text anyway). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
export const Text = () => z.string().regex(/^[^\u0000]*$/, 'must not contain NUL characters');

/** A resource id in a path, canonicalised (shared/ids.ts). Anything that is not a UUID cannot name a resource, so it answers 404. */
export const IdParam = IdInput;
