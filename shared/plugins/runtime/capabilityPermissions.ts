import { CAPABILITY_NAMES, type CapabilityName } from './types.ts';

/** The permission each capability needs; `http.fetch` needs an `http:<host>` matching its URL (see `mayFetch`). */
const REQUIRED_PERMISSION: Record<Exclude<CapabilityName, 'http.fetch'>, string> = {
  'conversation.read': 'conversations:read',
  'conversation.post': 'conversations:write',
  'storage.get': 'storage',
  'storage.set': 'storage',
  'storage.delete': 'storage',
  'llm.complete': 'llm',
  'code.execute': 'code:execute',
};

export function isCapabilityName(name: unknown): name is CapabilityName {
  return typeof name === 'string' && (CAPABILITY_NAMES as readonly string[]).includes(name);
}

/** The capability methods `permissions` grant: what the prelude puts on `ctx`. */
export function grantedCapabilities(permissions: readonly string[]): CapabilityName[] {
  return CAPABILITY_NAMES.filter((name) =>
    name === 'http.fetch'
      ? permissions.some((permission) => permission.startsWith('http:'))
      : permissions.includes(REQUIRED_PERMISSION[name]),
  );
}

/**
 * Whether a call may reach the host: the capability is granted and, for `http.fetch`, the URL's host is one
 * the plugin was granted (`http:api.example.com`, or `http:*.example.com` for its subdomains).
 */
export function isCallPermitted(permissions: readonly string[], name: CapabilityName, args: readonly unknown[]): boolean {
  if (!grantedCapabilities(permissions).includes(name)) return false;
  if (name !== 'http.fetch') return true;
  const hostname = urlHostname(args[0]);
  if (hostname === null) return false;
  return permissions.some((permission) => {
    if (!permission.startsWith('http:')) return false;
    const granted = permission.slice('http:'.length).toLowerCase();
    return granted.startsWith('*.') ? hostname.endsWith(granted.slice(1)) : hostname === granted;
  });
}

function urlHostname(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.hostname.toLowerCase() : null;
  } catch {
    return null;
  }
}
