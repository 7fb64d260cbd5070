import type { Knex } from 'knex';
import type { Logger } from '@shared/logger.ts';

/** One view waiting to be counted. */
interface PendingView {
  shareId: string;
  ip: string;
}

/** Views kept in memory at most, should the database stay away: past this, the oldest are dropped (and logged). */
const MAX_PENDING = 100_000;

/**
 * Counts the views of links without a view limit in batches: a view adds to memory, and every
 * `flushEveryMs` one statement adds each link's views to `shares.view_count` and writes their audit
 * rows — one commit per interval however many people open links, instead of one commit (a WAL flush,
 * all of a link's viewers queueing on its row) per view. Links with a limit are counted exactly, per
 * view, by the caller (shares.repo.ts › countShareView).
 *
 * The trade: views counted in memory since the last flush are lost if the process dies without
 * stopping (at most `flushEveryMs` of them); a stop flushes them first. A failed flush keeps its views
 * for the next one.
 */
export class ShareViewCounter {
  private pending: PendingView[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Knex,
    private readonly log: Logger,
    private readonly flushEveryMs: number,
  ) {}

  /** Counts one view of a link; written with the next flush. */
  count(shareId: string, ip: string): void {
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.log.warn({ max: MAX_PENDING }, 'share views could not be written for a while; dropping the oldest');
    }
    this.pending.push({ shareId, ip });
    this.timer ??= setTimeout(() => void this.flush(), this.flushEveryMs);
  }

  /** Writes every view counted so far; resolves once they are committed (or the attempt failed and they wait). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      await writeViews(this.db, batch);
    } catch (error) {
      this.log.error({ err: error, views: batch.length }, 'share views not written; trying again with the next flush');
      this.pending = batch.concat(this.pending).slice(-MAX_PENDING);
      this.timer ??= setTimeout(() => void this.flush(), this.flushEveryMs);
    }
  }
}

/**
 * Adds the views to their links' counts and writes one audit row per view, numbered as the counted
 * view would have been, in one statement. Links deleted meanwhile match nothing and are skipped.
 */
async function writeViews(db: Knex, views: PendingView[]): Promise<void> {
  const perShare = new Map<string, number>();
  const ordinals = views.map((view) => {
    const n = (perShare.get(view.shareId) ?? 0) + 1;
    perShare.set(view.shareId, n);
    return n;
  });
  await db.raw(
    `with added as (
       select * from unnest(?::text[], ?::int[]) as a(id, n)
     ), counted as (
       update shares s set view_count = s.view_count + added.n from added where s.id = added.id
       returning s.id, s.view_count, s.conversation_id, s.permission, added.n
     )
     insert into audit_log (action, subject_type, subject_id, ip, data)
     select 'share.viewed', 'share', c.id, v.ip,
            jsonb_build_object('conversationId', c.conversation_id, 'permission', c.permission, 'viewCount', c.view_count - c.n + v.ordinal)
     from unnest(?::text[], ?::text[], ?::int[]) with ordinality as v(id, ip, ordinal, position)
     join counted c on c.id = v.id
     order by v.position`,
    [[...perShare.keys()], [...perShare.values()], views.map((view) => view.shareId), views.map((view) => view.ip), ordinals],
  );
}
