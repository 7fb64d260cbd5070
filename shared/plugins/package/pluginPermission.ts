import { isIPv4, isIPv6 } from 'node:net';

/** Permissions that take no argument. */
export const FIXED_PERMISSIONS = ['conversations:read', 'conversations:write', 'storage', 'llm', 'code:execute'] as const;

/** One capability a plugin asks for: a fixed one, or outbound HTTP to one host (`http:api.example.com:8443`). */
export type PluginPermission = (typeof FIXED_PERMISSIONS)[number] | `http:${string}`;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase DNS name (RFC 1123 labels), not one that looks like a malformed IPv4 address (`999.1.1.1`). */
function isHostname(host: string): boolean {
  const labels = host.split('.');
  if (host.length > 253 || !labels.every((label) => LABEL.test(label))) return false;
  return !/^\d+$/.test(labels.at(-1)!);
}

/** True for `host`, `host:port`, `1.2.3.4[:port]` and `[::1][:port]`: no scheme, path, wildcard or user info. */
export function isHttpPermissionTarget(target: string): boolean {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::([1-9]\d{0,4}))?$/.exec(target);
  if (!match) return false;
  const [, ipv6, host, port] = match;
  if (port !== undefined && Number(port) > 65535) return false;
  if (ipv6 !== undefined) return isIPv6(ipv6);
  return isIPv4(host!) || isHostname(host!);
}

/** True when `value` is a permission the host knows. */
export function isPluginPermission(value: string): value is PluginPermission {
  if ((FIXED_PERMISSIONS as readonly string[]).includes(value)) return true;
  return value.startsWith('http:') && isHttpPermissionTarget(value.slice('http:'.length));
}
