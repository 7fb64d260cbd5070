import type { Db } from '@shared/db.ts';
import { appendConversationUpdates, type TitleChange } from '@shared/documents/appendConversationUpdate.ts';

/** What became of an edit: in the log, or left out because its conversation was deleted meanwhile. */
export type AppendOutcome = 'logged' | 'conversation_gone';

interface QueuedEdit {
  conversationId: string;
  update: Uint8Array;
  /** The document's title for the table, when this edit changed it. */
  title?: string;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the update log. One insert and one commit (with its fsync) per keystroke is what
 * would load PostgreSQL — and, on a small machine, everyone sharing its cores — long before the
 * fan-out does. So the writer commits at most once per `minIntervalMs`: an edit that arrives when the
 * log has been quiet that long is written straight away (after the current turn of the event loop, in
 * which Hocuspocus broadcasts it), and edits that arrive sooner, from any connection on any document,
 * wait for the next commit and share it: one statement, in arrival order.
 *
 * Nobody else waits for this: the edit has reached the other clients before it is written. Only its
 * acknowledgement to the editor does (see AcknowledgementGate).
 */
export class UpdateLogWriter {
  private queue: QueuedEdit[] = [];
  private writing: Promise<void> | undefined;
  /** Set while a commit is scheduled: cancels it. */
  private cancelTimer: (() => void) | undefined;
  private lastCommitStartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Db,
    private readonly minIntervalMs: number,
    private readonly onCommitted: (edits: number, bytes: number, seconds: number) => void = () => {},
    /** Told, after each commit, which conversations' titles it changed in the table. */
    private readonly onRenamed: (renamed: TitleChange[]) => void = () => {},
  ) {}

  /**
   * Resolves once the edit is committed (or known to belong to a deleted conversation); rejects when
   * its commit failed (a batch fails as a whole).
   */
  append(conversationId: string, update: Uint8Array, title?: string): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ conversationId, update, title, resolve, reject });
      this.schedule();
    });
  }

  /** Commits whatever is queued now and resolves when nothing is left (for shutdown). */
  async drain(): Promise<void> {
    while (this.writing || this.queue.length > 0) {
      if (!this.writing) this.startCommit();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing || this.cancelTimer) return;
    const wait = this.lastCommitStartedAt + this.minIntervalMs - performance.now();
    const run = () => this.startCommit();
    if (wait > 0) {
      const timer = setTimeout(run, wait);
      this.cancelTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(run);
      this.cancelTimer = () => clearImmediate(immediate);
    }
  }

  /** Commits the queue as one batch; once it is done, schedules the next if edits arrived meanwhile. */
  private startCommit(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.writing = this.commit(batch).finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async commit(batch: QueuedEdit[]): Promise<void> {
    if (batch.length === 0) return;
    this.lastCommitStartedAt = performance.now();
    try {
      // The latest title of each conversation in the batch: the one its document holds after these edits.
      const titles = new Map<string, string>();
      for (const edit of batch) if (edit.title !== undefined) titles.set(edit.conversationId, edit.title);
      const { gone, renamed } = await appendConversationUpdates(
        this.db,
        batch,
        [...titles].map(([conversationId, title]) => ({ conversationId, title })),
      );
      if (renamed.length > 0) this.onRenamed(renamed);
      this.onCommitted(
        batch.length,
        batch.reduce((sum, edit) => sum + edit.update.byteLength, 0),
        (performance.now() - this.lastCommitStartedAt) / 1000,
      );
      for (const edit of batch) edit.resolve(gone.has(edit.conversationId) ? 'conversation_gone' : 'logged');
    } catch (error) {
      for (const edit of batch) edit.reject(error);
    }
  }
}
