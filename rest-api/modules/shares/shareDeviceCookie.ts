import { SHARE_DEVICE_TOKEN_LIFETIME_SECONDS } from '@shared/auth.ts';

/**
 * The cookie that carries a share's device token (shared/auth.ts › signShareDeviceToken): set once a
 * browser gives the right password, sent back only to that share's view.
 */
export const SHARE_DEVICE_COOKIE = 'twinmcp_share_device';

/** `Set-Cookie` for a device token: HttpOnly, same-site only, scoped to this share's view path. */
export function shareDeviceCookie(token: string, shareId: string, secure: boolean): string {
  const attributes = [
    `Path=/api/share/${encodeURIComponent(shareId)}/view`,
    `Max-Age=${SHARE_DEVICE_TOKEN_LIFETIME_SECONDS}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ];
  return [`${SHARE_DEVICE_COOKIE}=${token}`, ...attributes].join('; ');
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
