import type { Knex } from 'knex';
import { can, isShareLive, type SharePrincipal } from '@shared/access/index.ts';
import { signShareDeviceToken, signShareToken, verifyShareDeviceToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { readConversationOpening, type ConversationOpening } from '../conversations/readConversationOpening.ts';
import { shareNotFound } from './findShareForManager.ts';
import { shareAccessFacts } from './shareAccessFacts.ts';
import type { ShareViewCache } from './shareViewCache.ts';
import type { ShareViewCounter } from './ShareViewCounter.ts';
import { reservePasswordGuess, type SharePasswordLimits } from './shares.limits.ts';
import { countShareView, findShare, type ShareRow } from './shares.repo.ts';

/** Most messages a share view returns; the collaboration document (opened with the token) holds them all. */
export const SHARE_VIEW_MESSAGE_LIMIT = 500;

interface Deps {
  db: Knex;
  tokens: TokenSettings;
  /** Lifetime of the token handed out, in seconds (SHARE_TOKEN_TTL_SECONDS). */
  shareTokenTtlSeconds: number;
  passwordLimits: SharePasswordLimits;
  cache: ShareViewCache;
  counter: ShareViewCounter;
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
  /** The conversation and its first SHARE_VIEW_MESSAGE_LIMIT messages, oldest first. */
  opening: ConversationOpening;
  token: string;
  /** When `token` lapses. */
  expiresAt: Date;
  /** For a password share: the device token to keep in the browser (new, or the one it sent). */
  deviceToken?: string;
}

/**
 * Opens a share link: checks the password, counts the view, and hands out the conversation with a
 * share token for the collab server. Unknown, revoked, expired and used-up shares all answer the same
 * 404, before any password is asked for; a wrong password never spends a view.
 *
 * Built for a link thousands open a minute (shareViewCache.ts): the share and what it shows come from
 * memory, kept current by events; a link without a view limit is counted in batches
 * (ShareViewCounter.ts), one with a limit exactly, in the one statement that spends the view.
 */
export async function viewShare(deps: Deps, props: Props): Promise<ShareView> {
  const { db, cache } = deps;
  const now = new Date();
  const cached = await cache.shares.get(props.shareId, () => findShare(db, props.shareId));
  if (!cached || !isShareLive(shareAccessFacts(cached), now)) throw shareNotFound();
  // A cached row's view count is stale. Before asking for a password, a limited link's is read fresh,
  // so a used-up link answers the same 404 as any dead one; without a password, spending the view says it.
  if (cached.max_views !== null && cached.password_hash) {
    const fresh = await findShare(db, cached.id);
    if (!fresh || fresh.max_views === null || fresh.view_count >= fresh.max_views) throw shareNotFound();
  }
  const deviceToken = cached.password_hash ? await checkPassword(deps, cached, props) : undefined;

  let share = cached;
  if (share.max_views === null) {
    deps.counter.count(share.id, props.ip);
  } else {
    // The limit holds however many arrive at once: the database spends the view only while one is left.
    const counted = await countShareView(db, share.id, { ip: props.ip });
    if (!counted) throw shareNotFound();
    share = counted;
  }

  const opening = await cache.openings.get(share.conversation_id, () =>
    readConversationOpening(db, share.conversation_id, SHARE_VIEW_MESSAGE_LIMIT),
  );
  const principal: SharePrincipal = {
    type: 'share',
    shareId: share.id,
    conversationId: share.conversation_id,
    permission: share.permission,
  };
  const facts = opening && {
    id: opening.conversation.id,
    ownerId: opening.conversation.owner_id,
    workspaceId: opening.conversation.workspace_id,
  };
  // The access model has the last word, as it has on the collab server (which re-checks on every connection).
  if (!facts || !can(principal, 'read', { ...facts, share: shareAccessFacts(share) })) throw shareNotFound();

  const expiresAt = tokenExpiry(share, deps.shareTokenTtlSeconds);
  const token = signShareToken(deps.tokens, principal, expiresAt);
  return { share, principal, opening: opening, token, expiresAt, deviceToken };
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
