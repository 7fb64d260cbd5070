import { z } from 'zod';

/**
 * Resource ids are UUIDs, and one id has one spelling: lower case, as PostgreSQL prints them. A UUID is
 * case-insensitive on input (RFC 9562 §4), so the REST API canonicalises whatever case arrives; a
 * collaborative document's name cannot be rewritten (the client chose it), so the collab server
 * refuses names that are not canonical. Either way, `conversation:<id>` names one document, and events
 * carrying an id reach every connection to it.
 */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `value` is a UUID spelled the one way ids are stored and compared. */
export function isCanonicalId(value: string): boolean {
  return CANONICAL_UUID.test(value);
}

/** An id from a client (path, query or body): any UUID, turned into its canonical lower-case form. */
export const IdInput = z
  .uuid()
  .transform((id) => id.toLowerCase())
  .meta({ description: 'A UUID; any case is accepted and the canonical lower-case form is used' });
