/** What a page posts to the waiting service worker when the person chooses to reload into the new version. */
export const SKIP_WAITING = 'SKIP_WAITING';

/** What the service worker posts to open pages after the push service changed the subscription. */
export const PUSH_SUBSCRIPTION_CHANGED = 'twinmcp:push-subscription-changed';
