import type { Bus } from '@shared/bus.ts';
import { LoadingCache } from '@shared/loadingCache.ts';
import type { ConversationOpening } from '../conversations/readConversationOpening.ts';
import type { ShareRow } from './shares.repo.ts';

/** Longest a cached share or conversation is trusted should an event be lost (Redis pub/sub does not retry). */
const TRUST_MS = 30_000;
/** Memory the cached conversations may take, roughly: a popular conversation is ~1 MiB at 500 messages. */
const OPENINGS_MAX_BYTES = 64 * 2 ** 20;

/**
 * What opening a share link reads, kept in memory on every node: the share rows, and each shared
 * conversation's opening (its title and first messages). A link posted on social media is opened
 * thousands of times a minute, and each view would otherwise read the same rows again.
 *
 * Every change that could alter what a view shows arrives as a bus event on every node — a message
 * posted, edited or deleted, a rename, a deleted conversation, a revoked share — and drops the entry
 * at once; TRUST_MS bounds how long anything could be served should an event be lost. Expiry is
 * checked on every view against the cached row's `expires_at`; view limits are counted in the
 * database, never here.
 */
export class ShareViewCache {
  /**
   * The share rows. Their view counts go stale at once and are never trusted: a limited link's view is
   * spent by the database, which re-checks the limit, revocation and expiry on the row it locks.
   */
  readonly shares = new LoadingCache<string, ShareRow>({ max: 10_000, ttlMs: TRUST_MS });
  readonly openings = new LoadingCache<string, ConversationOpening>({
    max: 1_000,
    ttlMs: TRUST_MS,
    sizeOf: openingBytes,
    maxBytes: OPENINGS_MAX_BYTES,
  });
  private readonly unsubscribe: Array<() => void>;

  constructor(bus: Bus) {
    const forget = ({ conversationId }: { conversationId: string }) => this.openings.invalidate(conversationId);
    this.unsubscribe = [
      bus.subscribe('share.revoked', ({ shareId }) => this.shares.invalidate(shareId)),
      bus.subscribe('conversation.deleted', forget),
      bus.subscribe('conversation.renamed', forget),
      bus.subscribe('message.created', forget),
      bus.subscribe('message.updated', forget),
      bus.subscribe('message.deleted', forget),
    ];
  }

  close(): void {
    this.unsubscribe.forEach((stop) => stop());
  }
}

/** About what an opening weighs in memory: its text, twice (JavaScript strings), and some overhead per row. */
function openingBytes(opening: ConversationOpening): number {
  let bytes = 512 + opening.conversation.title.length * 2;
  for (const message of opening.messages) bytes += 256 + message.content.length * 2 + message.attachments.length * 256;
  return bytes;
}
