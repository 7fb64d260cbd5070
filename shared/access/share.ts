import type { AccessLevel } from './levels.ts';

export const SHARE_PERMISSIONS = ['read', 'comment', 'edit'] as const;
export type SharePermission = (typeof SHARE_PERMISSIONS)[number];

/** A principal holding a share token: it may reach one conversation, at the share's permission. */
export interface SharePrincipal {
  type: 'share';
  shareId: string;
  conversationId: string;
  permission: SharePermission;
}

/** A share as stored now: a token outlives nothing — revoke or expire the share and its tokens stop. */
export interface ShareAccessFacts {
  id: string;
  conversationId: string;
  permission: SharePermission;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

export const SHARE_PERMISSION_LEVEL = {
  read: 'read',
  comment: 'comment',
  edit: 'write',
} as const satisfies Record<SharePermission, AccessLevel>;

/** True while the share can still be used: not revoked, not past its expiry. */
export function isShareLive(share: Pick<ShareAccessFacts, 'revokedAt' | 'expiresAt'>, now: Date): boolean {
  return !share.revokedAt && (!share.expiresAt || share.expiresAt.getTime() > now.getTime());
}
