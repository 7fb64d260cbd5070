import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { CapabilityError, objectArgument, stringArgument } from './CapabilityError.ts';
import { embeddedIPv4, METADATA_ADDRESS } from '@shared/net/isPrivateAddress.ts';
import { publicOnlyLookup } from '@shared/net/publicOnlyLookup.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Headers the host sets itself, or that would let a plugin smuggle a hop-by-hop instruction. */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
]);
/** Largest request body a plugin may send, in bytes. */
export const HTTP_REQUEST_MAX_BYTES = 1024 * 1024;

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

/** A response as the plugin gets it: redirects are answered, not followed (the plugin may fetch `location`, checked again). */
export interface PluginFetchResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const forbidden = (message: string) => new CapabilityError('http_forbidden', message);

/** The `http:<host>[:port]` grants as host and optional port (IPv6 literals without brackets). */
function grantsOf(permissions: readonly string[]): Array<{ host: string; port?: number }> {
  return permissions
    .filter((permission) => permission.startsWith('http:'))
    .map((permission) => {
      const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(permission.slice('http:'.length))!;
      return { host: (match[1] ?? match[2]!).toLowerCase(), ...(match[3] ? { port: Number(match[3]) } : {}) };
    });
}

/** Names that resolve to a private address are refused at connect time (see publicOnlyLookup): no DNS rebinding. */
const checkedLookup = publicOnlyLookup((hostname) => forbidden(`${hostname} resolves to an address plugins may not reach`));

/** Checks the URL against the plugin's `http:` grants; returns the URL and whether its host is a granted IP literal. */
function checkTarget(rawUrl: string, permissions: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new CapabilityError('invalid_argument', 'url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw forbidden('Only http and https URLs are allowed');
  if (url.username || url.password) throw forbidden('URLs with credentials are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const isGranted = grantsOf(permissions).some((grant) => grant.host === host && (grant.port === undefined || grant.port === port));
  if (!isGranted) throw forbidden(`The plugin was not granted http:${host}`);
  // A literal IP is connected to as written: allowed only because it is itself the granted host. The
  // metadata address hands out the machine's credentials, so no grant reaches it.
  if (isIP(host) && (embeddedIPv4(host) ?? host) === METADATA_ADDRESS) throw forbidden('The metadata address is never reachable');
  return url;
}

function requestOf(args: unknown[]) {
  const url = stringArgument(args[0], 'url', 8_192)!;
  const init = objectArgument(args, 1, 'init');
  const method = (stringArgument(init.method, 'method', 16, { optional: true }) ?? 'GET').toUpperCase();
  if (!METHODS.includes(method)) throw new CapabilityError('invalid_argument', `method must be one of ${METHODS.join(', ')}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(objectArgument([init.headers], 0, 'headers'))) {
    if (typeof value !== 'string') throw new CapabilityError('invalid_argument', `header ${name} must be a string`);
    if (!FORBIDDEN_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  const body = stringArgument(init.body, 'body', HTTP_REQUEST_MAX_BYTES, { optional: true });
  if (body !== undefined && Buffer.byteLength(body) > HTTP_REQUEST_MAX_BYTES) {
    throw new CapabilityError('invalid_argument', `body must be at most ${HTTP_REQUEST_MAX_BYTES} bytes`);
  }
  return { url, method, headers, body };
}

/**
 * `http.fetch(url, { method?, headers?, body? })` for a plugin: only to hosts its `http:<host>[:port]`
 * permissions name, only http and https, never to a private address through a name (see
 * checkedLookup), without following redirects, within `timeoutMs` for the whole exchange and
 * `maxBytes` of response body (aborted past it, 'http_body_too_large').
 */
export async function fetchForPlugin(permissions: readonly string[], limits: FetchLimits, args: unknown[]): Promise<PluginFetchResponse> {
  const request = requestOf(args);
  const url = checkTarget(request.url, permissions);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<PluginFetchResponse>((resolve, reject) => {
    const outgoing = transport.request(url, {
      method: request.method,
      headers: request.headers,
      // A fresh socket per request: a pooled one would skip the connect-time check.
      agent: false,
      lookup: checkedLookup,
    });
    let isSettled = false;
    const settle = (outcome: () => void) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(deadline);
      outcome();
    };
    const fail = (error: unknown) =>
      settle(() => {
        outgoing.destroy();
        if (error instanceof CapabilityError) return reject(error);
        reject(new CapabilityError('http_failed', `The request failed: ${(error as NodeJS.ErrnoException).code ?? 'network error'}`));
      });
    // One deadline for the whole exchange, the body included: a server that trickles bytes is cut too.
    const deadline = setTimeout(
      () => fail(new CapabilityError('http_timeout', `No complete answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.maxBytes) {
          fail(new CapabilityError('http_body_too_large', `The response body is over ${limits.maxBytes} bytes`));
          return response.destroy();
        }
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('aborted', () => fail(new CapabilityError('http_failed', 'The server closed the connection mid-answer')));
      response.on('end', () => {
        const headers = Object.fromEntries(
          Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
        );
        settle(() => resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
    });
    outgoing.end(request.body);
  });
}
