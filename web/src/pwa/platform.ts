/** Whether this browser can receive Web Push here, and if not, why (each has its own message). */
export type PushSupport = 'supported' | 'unsupported' | 'ios-needs-home-screen';

/** What the page can learn about where it runs (navigator and matchMedia, passed in so tests can vary it). */
export interface Platform {
  userAgent: string;
  maxTouchPoints: number;
  /** Safari's flag for a page opened from the Home Screen. */
  isStandaloneSafari: boolean;
  isDisplayModeStandalone: boolean;
  hasServiceWorker: boolean;
  hasPushManager: boolean;
  hasNotification: boolean;
}

export function currentPlatform(): Platform {
  return {
    userAgent: navigator.userAgent,
    maxTouchPoints: navigator.maxTouchPoints ?? 0,
    isStandaloneSafari: (navigator as Navigator & { standalone?: boolean }).standalone === true,
    isDisplayModeStandalone: matchMedia('(display-mode: standalone)').matches,
    hasServiceWorker: 'serviceWorker' in navigator,
    hasPushManager: 'PushManager' in window,
    hasNotification: 'Notification' in window,
  };
}

/** iPhone, iPod or iPad — including iPadOS, which calls itself a Mac but has a touch screen. */
export const isAppleMobile = (platform: Platform) =>
  /iPhone|iPad|iPod/.test(platform.userAgent) || (/Macintosh/.test(platform.userAgent) && platform.maxTouchPoints > 1);

/**
 * iOS and iPadOS (16.4 and later) deliver Web Push only to an app added to the Home Screen; in a Safari
 * tab PushManager is missing altogether, so the page says how to get there instead of "not supported".
 */
export function pushSupport(platform: Platform): PushSupport {
  const isStandalone = platform.isStandaloneSafari || platform.isDisplayModeStandalone;
  if (isAppleMobile(platform) && !isStandalone) return 'ios-needs-home-screen';
  if (!platform.hasServiceWorker || !platform.hasPushManager || !platform.hasNotification) return 'unsupported';
  return 'supported';
}

/** How a device is listed in the person's devices: "Chrome on Linux", "Safari on iPhone". */
export function deviceName(userAgent: string, maxTouchPoints = 0): string {
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\/|FxiOS/.test(userAgent)
        ? 'Firefox'
        : /Chrome\/|Chromium\/|CriOS/.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : 'Browser';
  const system = /iPhone/.test(userAgent)
    ? 'iPhone'
    : /iPad/.test(userAgent) || (/Macintosh/.test(userAgent) && maxTouchPoints > 1)
      ? 'iPad'
      : /Android/.test(userAgent)
        ? 'Android'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Mac OS X|Macintosh/.test(userAgent)
            ? 'macOS'
            : /CrOS/.test(userAgent)
              ? 'ChromeOS'
              : /Linux/.test(userAgent)
                ? 'Linux'
                : 'this device';
  return `${browser} on ${system}`;
}
