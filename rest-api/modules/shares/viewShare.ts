import type { Knex } from 'knex';
import { can, type SharePrincipal } from '@shared/access/index.ts';
import { signShareDeviceToken, signShareToken, verifyShareDeviceToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import type { MessageRow } from '../conversations/conversations.repo.ts';
import { withAttachments } from '../attachments/withAttachments.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { shareNotFound } from './findShareForManager.ts';
import { shareAccessFacts } from './share.presenter.ts';
import { reservePasswordGuess, type SharePasswordLimits } from './shares.limits.ts';
import {
  countShareView, findLiveShare, findSharedConversation, listSharedMessages, type ShareRow, type SharedConversationRow,
} from './shares.repo.ts';

/** Most messages a share view returns; the collaboration document (opened with the token) holds them all. */
export const SHARE_VIEW_MESSAGE_LIMIT = 500;

interface Deps {
  db: Knex;
  tokens: TokenSettings;
  /** Lifetime of the token handed out, in seconds (SHARE_TOKEN_TTL_SECONDS). */
  shareTokenTtlSeconds: number;
  passwordLimits: SharePasswordLimits;
}

interface Props {
  /** The id from the link; anything, since whoever calls may be guessing. */
  shareId: string;
  /** The viewer's answer, when the share asks for one. */
  password?: string;
  /** The client's IP: the per-IP password budget and the audit trail. */
  ip: string;
  /** The device token this browser got when it last gave the share's password (its cookie), if any. */
  deviceToken?: string;
}

export interface ShareView {
  share: ShareRow;
  principal: SharePrincipal;
  conversation: SharedConversationRow;
  /** Oldest first, at most SHARE_VIEW_MESSAGE_LIMIT. */
  messages: MessageRow[];
  hasMoreMessages: boolean;
  token: string;
  /** When `token` lapses. */
  expiresAt: Date;
  /** For a password share: the device token to keep in the browser (new, or the one it sent). */
  deviceToken?: string;
}

/**
 * Opens a share link: checks the password, spends one view, and hands out the conversation with a share
 * token for the collab server. A share with a password is looked up and its password checked before a
 * view is spent, so wrong guesses never use up a limited link. Unknown, revoked, expired and used-up
 * shares all answer the same 404, before any password is asked for.
 */
export async function viewShare(deps: Deps, props: Props): Promise<ShareView> {
  const { db } = deps;
  // Most links ask no password: for those, spending the view is the first and only write.
  let share = await countShareView(db, props.shareId, { ip: props.ip, passwordless: true });
  let deviceToken: string | undefined;
  if (!share) {
    const live = await findLiveShare(db, props.shareId);
    if (!live?.password_hash) throw shareNotFound();
    deviceToken = await checkPassword(deps, live, props);
    share = await countShareView(db, live.id, { ip: props.ip });
    if (!share) throw shareNotFound();
  }

  const [conversation, rows] = await Promise.all([
    findSharedConversation(db, share.conversation_id),
    listSharedMessages(db, share.conversation_id, SHARE_VIEW_MESSAGE_LIMIT).then((messages) => withAttachments(db, messages)),
  ]);
  const principal: SharePrincipal = {
    type: 'share', shareId: share.id, conversationId: share.conversation_id, permission: share.permission,
  };
  const facts = conversation && { id: conversation.id, ownerId: conversation.owner_id, workspaceId: conversation.workspace_id };
  // The access model has the last word, as it has on the collab server (which re-checks on every connection).
  if (!facts || !can(principal, 'read', { ...facts, share: shareAccessFacts(share) })) throw shareNotFound();

  const expiresAt = tokenExpiry(share, deps.shareTokenTtlSeconds);
  const token = signShareToken(deps.tokens, principal, expiresAt);
  return {
    share, principal, conversation: conversation!, messages: rows.slice(0, SHARE_VIEW_MESSAGE_LIMIT),
    hasMoreMessages: rows.length > SHARE_VIEW_MESSAGE_LIMIT, token, expiresAt, deviceToken,
  };
}

/**
 * 401 `password_required` with no answer, 401 `invalid_password` with a wrong one; guesses are
 * rate-limited (shares.limits.ts). Returns the device token the browser keeps: the one it sent, if valid.
 */
async function checkPassword(deps: Deps, share: ShareRow, props: Props): Promise<string> {
  if (props.password === undefined) throw new AuthenticationError('This share needs a password', 'password_required');
  const deviceId = verifyShareDeviceToken(deps.tokens, props.deviceToken, share.id);
  const reservations = await reservePasswordGuess(deps.passwordLimits, { shareId: share.id, ip: props.ip, deviceId });
  let correct = false;
  try {
    correct = await verifyPassword(share.password_hash!, props.password);
  } finally {
    await Promise.all(reservations.map((reservation) => reservation.settle(correct)));
  }
  if (!correct) throw new AuthenticationError('Wrong password', 'invalid_password');
  return deviceId ? props.deviceToken! : signShareDeviceToken(deps.tokens, share.id);
}

/**
 * The earlier of the token lifetime and the share's own expiry — a token never outlives its share —
 * in whole seconds, as the token's `exp` carries it.
 */
function tokenExpiry(share: ShareRow, ttlSeconds: number): Date {
  const byTtl = Date.now() + ttlSeconds * 1000;
  const at = share.expires_at ? Math.min(byTtl, share.expires_at.getTime()) : byTtl;
  return new Date(Math.floor(at / 1000) * 1000);
}
