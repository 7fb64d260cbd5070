import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress } from './isPrivateAddress.ts';

/**
 * A socket `lookup` that resolves a host name the way the connection will use it and refuses the
 * connection (with `refusal(hostname)`) when any address is loopback, private or link-local. Running at
 * connect time, it checks the very address connected to: a name that resolves to a public address when
 * a URL is checked and to 127.0.0.1 when it is used (DNS rebinding) cannot get through. Give it to a
 * fresh socket or an agent of its own — a pooled socket from elsewhere skips it.
 */
export function publicOnlyLookup(refusal: (hostname: string) => Error): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0 || addresses.some((entry) => isPrivateAddress(entry.address))) {
        return callback(refusal(hostname), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
