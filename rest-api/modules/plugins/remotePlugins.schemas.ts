import { z } from 'zod';

/** Headers the MCP transport sets itself, or that would change how the request travels: never an operator's. */
const RESERVED_HEADERS = new Set([
  'accept',
  'connection',
  'content-length',
  'content-type',
  'host',
  'mcp-protocol-version',
  'mcp-session-id',
  'transfer-encoding',
]);

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'is set by the MCP transport itself');

// Printable ASCII and tabs only: no CR/LF to split a request with.
const HeaderValue = z
  .string()
  .max(8_192)
  .regex(/^[\t\x20-\x7e]*$/, 'must be printable ASCII');

export const RegisterRemotePluginSchema = z.object({
  body: z.strictObject({
    url: z
      .string()
      .max(2_048)
      .describe("The server's MCP endpoint (Streamable HTTP), http or https, on a host listed in PLUGIN_REMOTE_HOSTS"),
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((headers) => Object.keys(headers).length <= 32, 'at most 32 headers')
      .optional()
      .describe(
        'Sent with every request to the server (an API key, say). Stored sealed and never shown again. Left out when ' +
          'registering the same URL again: the stored ones are kept; `{}` removes them',
      ),
  }),
});
export type RegisterRemotePluginBody = z.infer<typeof RegisterRemotePluginSchema>['body'];
