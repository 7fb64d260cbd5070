const PUSH_TYPES = ['message', 'invitation', 'share', 'backup', 'test'] as const;
type PushType = (typeof PUSH_TYPES)[number];

/** What the server pushes (rest-api/modules/devices): the notification's text and where tapping leads. */
export interface PushPayload {
  type: PushType;
  title: string;
  body: string;
  /** A path in the app (`/c/<id>`). */
  url: string;
  conversationId?: string;
  messageId?: string;
}

/** The payload, or null when it is not one of ours (nothing is shown for it). */
export function parsePushPayload(text: string | undefined): PushPayload | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<PushPayload>;
    if (typeof value.title !== 'string' || typeof value.body !== 'string') return null;
    return {
      type: PUSH_TYPES.includes(value.type as PushType) ? (value.type as PushType) : 'message',
      title: value.title,
      body: value.body,
      url: typeof value.url === 'string' ? value.url : '/',
      ...(typeof value.conversationId === 'string' ? { conversationId: value.conversationId } : {}),
      ...(typeof value.messageId === 'string' ? { messageId: value.messageId } : {}),
    };
  } catch {
    return null;
  }
}

/** The payload's url as a path of this app: a push can never send a tap to another site. */
export function appPath(url: string, origin: string): string {
  try {
    const target = new URL(url, origin);
    return target.origin === origin ? target.pathname + target.search : '/';
  } catch {
    return '/';
  }
}

/** Whether this window is focused on the conversation the push is about. */
export function isLookingAt(client: { url: string; focused?: boolean }, payload: PushPayload, origin: string): boolean {
  if (!payload.conversationId || !client.focused) return false;
  const { pathname } = new URL(client.url, origin);
  return pathname.replace(/\/$/, '') === `/c/${payload.conversationId}`;
}

/** The notification for a push: one per conversation (a newer message replaces the older one). */
export function notificationFor(payload: PushPayload, origin: string): { title: string; options: NotificationOptions } {
  return {
    title: payload.title,
    options: {
      body: payload.body,
      data: { url: appPath(payload.url, origin) },
      icon: '/icons/icon-192.png',
      ...(payload.conversationId ? { tag: payload.conversationId } : {}),
    },
  };
}
