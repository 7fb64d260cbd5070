import { randomUUID } from 'node:crypto';
import { pollUntil } from './pollUntil.ts';

/** One HTTP request the writer made, for the drill's report. */
interface Answer {
  status: number;
  code?: string;
  sentAt: number;
  answeredAt: number;
}

/** How long one operation (a message) may take, its retries included, before the client gives up on it. */
const OPERATION_BUDGET_MS = 30_000;
/** A Retry-After is honoured up to this long: the API says 2 s, and a longer wait would only blur the figures. */
const RETRY_AFTER_CAP_MS = 1_000;
/** The pause after a refused or broken connection (no Retry-After to honour). */
const CONNECTION_RETRY_MS = 100;

export interface MessageWriter {
  /** Contents of the messages the API acknowledged (2xx), in order. */
  acknowledged: string[];
  /** Operations (messages) started and finished, each counted once however often it was retried. */
  operations(): { attempted: number; succeeded: number };
  /** Answers no retry makes right (a 500, a 4xx, a 503 without Retry-After…), with the message they were for. */
  unexpectedAnswers: Array<{ status: number; code?: string; content: string }>;
  /** How many HTTP answers of each kind (`201`, `503 database_failover`, `0 TypeError`…): requests, not operations. */
  statusCounts(): Record<string, number>;
  /** Resolves once `count` messages are acknowledged. */
  waitForAcknowledged(count: number, timeoutMs: number): Promise<void>;
  /** Resolves with the time of the first 2xx to a request sent at or after `since` (ms epoch). */
  waitForAcknowledgedSentAfter(since: number, timeoutMs: number): Promise<number>;
  /** Finishes the operation in flight (its retries included) and stops. */
  stop(): Promise<void>;
}

/** What a drill finds when it looks for the writer's messages in the database. */
export interface StoredCheck {
  /** Acknowledged messages that are not in the database. */
  lost: string[];
  /** Messages stored more than once (an Idempotency-Key that did not hold). */
  duplicated: string[];
}

/**
 * Posts messages to one conversation through the REST API, one after another, as the product's clients
 * do: each message is one operation with its own `Idempotency-Key`, sent again with the same key after a
 * 503 or a 409 idempotency_key_in_progress (honouring Retry-After, capped) and after a refused or broken
 * connection, until the API acknowledges it (2xx) or OPERATION_BUDGET_MS runs out. Each content is unique
 * (`<label>-<n>`), so the drill can then look for every acknowledged one, exactly once, in the database.
 */
export function startWriter(options: {
  baseUrl: string;
  conversationId: string;
  headers: Record<string, string>;
  label: string;
}): MessageWriter {
  const acknowledged: string[] = [];
  const answers: Answer[] = [];
  const unexpectedAnswers: MessageWriter['unexpectedAnswers'] = [];
  let attempted = 0;
  let isStopping = false;

  const send = async (content: string, key: string): Promise<{ answer: Answer; retryAfterMs?: number }> => {
    const sentAt = Date.now();
    try {
      const response = await fetch(`${options.baseUrl}/api/conversations/${options.conversationId}/messages`, {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ role: 'user', content }),
        signal: AbortSignal.timeout(OPERATION_BUDGET_MS),
      });
      const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
      const retryAfter = response.headers.get('retry-after');
      let code = body.error?.code;
      if (response.status === 503 && retryAfter === null) code = `${code} without Retry-After`;
      const retryAfterMs = retryAfter === null ? undefined : Math.min(Number(retryAfter) * 1000 || 0, RETRY_AFTER_CAP_MS);
      return { answer: { status: response.status, code, sentAt, answeredAt: Date.now() }, retryAfterMs };
    } catch (error) {
      return { answer: { status: 0, code: (error as Error).name, sentAt, answeredAt: Date.now() } };
    }
  };

  /** One message, retried until acknowledged or out of budget; true when acknowledged. */
  const writeOne = async (content: string): Promise<boolean> => {
    const key = `chaos-${randomUUID()}`;
    const deadline = Date.now() + OPERATION_BUDGET_MS;
    for (;;) {
      const { answer, retryAfterMs } = await send(content, key);
      answers.push(answer);
      if (answer.status >= 200 && answer.status < 300) return true;
      // The first try committed and its answer was lost to the failover: the API says it is done.
      if (answer.status === 409 && answer.code === 'idempotency_key_answer_lost') return true;
      const isRetryable =
        (answer.status === 503 && retryAfterMs !== undefined) ||
        (answer.status === 409 && answer.code === 'idempotency_key_in_progress') ||
        answer.status === 0;
      if (!isRetryable) {
        unexpectedAnswers.push({ status: answer.status, code: answer.code, content });
        return false;
      }
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? CONNECTION_RETRY_MS));
    }
  };

  const loop = (async () => {
    while (!isStopping) {
      attempted += 1;
      const content = `${options.label}-${attempted}`;
      if (await writeOne(content)) acknowledged.push(content);
    }
  })();

  const statusCounts = () => {
    const counts: Record<string, number> = {};
    for (const { status, code } of answers) {
      const key = code ? `${status} ${code}` : String(status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };
  const describe = () => `writer answers ${JSON.stringify(statusCounts())}`;

  return {
    acknowledged,
    unexpectedAnswers,
    statusCounts,
    operations: () => ({ attempted: isStopping ? attempted : attempted - 1, succeeded: acknowledged.length }),
    waitForAcknowledged: async (count, timeoutMs) => {
      await pollUntil(() => (acknowledged.length >= count ? true : undefined), timeoutMs, `${count} acknowledged messages`, describe);
    },
    waitForAcknowledgedSentAfter: (since, timeoutMs) =>
      pollUntil(
        () => answers.find((answer) => answer.sentAt >= since && answer.status >= 200 && answer.status < 300)?.answeredAt,
        timeoutMs,
        'a message acknowledged after the fault',
        describe,
      ),
    stop: async () => {
      isStopping = true;
      await loop;
    },
  };
}

/**
 * Looks for the writer's messages: `query` runs SQL returning `{ content, copies }` rows for every stored
 * message whose content starts with the writer's label (on whichever server holds the data now).
 */
export function checkStored(
  writer: Pick<MessageWriter, 'acknowledged'>,
  rows: Array<{ content: string; copies: number | string }>,
): StoredCheck {
  const copies = new Map(rows.map((row) => [row.content, Number(row.copies)]));
  return {
    lost: writer.acknowledged.filter((content) => !copies.has(content)),
    duplicated: [...copies].filter(([, count]) => count > 1).map(([content]) => content),
  };
}

/** The SQL checkStored wants, for one conversation and one writer label (both generated, never user input). */
export function storedMessagesSql(conversationId: string, label: string): string {
  if (!/^[0-9a-f-]{36}$/.test(conversationId) || !/^[\w-]+$/.test(label)) throw new Error('storedMessagesSql: unexpected id or label');
  return (
    `select content, count(*) as copies from messages where conversation_id = '${conversationId}' ` +
    `and content like '${label}-%' group by content`
  );
}
