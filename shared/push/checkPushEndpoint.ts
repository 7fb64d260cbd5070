import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import { ValidationError } from '../errors.ts';
import { isPrivateAddress } from '../net/isPrivateAddress.ts';
import { isPrivateHostAllowed } from './sendWebPush.ts';

const refuse = (message: string) => new ValidationError(`subscription.endpoint: ${message}`, undefined, 'push_endpoint_forbidden');

/**
 * A push subscription's endpoint is a URL the server will POST to on the subscriber's behalf, so it is
 * checked like any URL a user hands the server (no SSRF through push): HTTPS only, no credentials, and
 * not on a loopback, private or link-local address — neither as a literal nor through its name — unless
 * PUSH_PRIVATE_HOSTS names it. Sending checks the address again at connect time (sendWebPush).
 */
export async function checkPushEndpoint(endpoint: string, privateHosts: readonly string[]): Promise<void> {
  const url = new URL(endpoint);
  if (url.protocol !== 'https:') throw refuse('must be an https URL (push services speak only HTTPS)');
  if (url.username || url.password) throw refuse('must not carry credentials');
  if (isPrivateHostAllowed(endpoint, privateHosts)) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolve(host);
  if (addresses.some(isPrivateAddress)) throw refuse(`${host} is a private address; push services are on the public internet`);
}

async function resolve(host: string): Promise<string[]> {
  try {
    return (await dns.lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    throw refuse(`${host} does not resolve`);
  }
}
