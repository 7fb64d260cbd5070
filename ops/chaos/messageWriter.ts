/** One answer the writer got, for the drill's report. */
interface Answer {
  status: number;
  code?: string;
  sentAt: number;
  answeredAt: number;
}

export interface MessageWriter {
  /** Contents of the messages the API acknowledged (2xx), in order. */
  acknowledged: string[];
  /** Answers that are neither 2xx nor 503 database_failover (a 500, a refused connection…). */
  unexpectedAnswers: Array<{ status: number; code?: string; content: string }>;
  /** How many answers of each kind (`201`, `503 database_failover`…). */
  statusCounts(): Record<string, number>;
  /** Resolves once `count` messages are acknowledged. */
  waitForAcknowledged(count: number, timeoutMs: number): Promise<void>;
  /** Resolves with the time of the first acknowledgement of a message sent after `since`. */
  waitForAcknowledgedSentAfter(since: number, timeoutMs: number): Promise<number>;
  /** Finishes the message in flight and stops. */
  stop(): Promise<void>;
}

/**
 * Posts messages to one conversation through the REST API, one after another, as a client would:
 * a message counts as written only when the API answered 2xx. Each message's content is unique
 * (`<label>-<n>`), so the drill can look for every acknowledged one in the database afterwards.
 * A 503 is retried with a new message after a short pause (the content of an unacknowledged message
 * may or may not be stored; only acknowledged ones are checked).
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
  let isStopping = false;
  let counter = 0;

  const loop = (async () => {
    while (!isStopping) {
      counter += 1;
      const content = `${options.label}-${counter}`;
      const sentAt = Date.now();
      let status = 0;
      let code: string | undefined;
      try {
        const response = await fetch(`${options.baseUrl}/api/conversations/${options.conversationId}/messages`, {
          method: 'POST',
          headers: { ...options.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ role: 'user', content }),
          signal: AbortSignal.timeout(60_000),
        });
        status = response.status;
        const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
        code = body.error?.code;
        if (status === 503 && response.headers.get('retry-after') === null) code = `${code} without Retry-After`;
      } catch (error) {
        code = (error as Error).name;
      }
      answers.push({ status, code, sentAt, answeredAt: Date.now() });
      if (status >= 200 && status < 300) acknowledged.push(content);
      else if (!(status === 503 && code === 'database_failover')) unexpectedAnswers.push({ status, code, content });
      // A client backs off after a 503; a short pause keeps the measurement fine-grained.
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  const poll = async <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`writer: ${what} not reached in ${timeoutMs} ms; answers ${JSON.stringify(statusCounts())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const statusCounts = () => {
    const counts: Record<string, number> = {};
    for (const { status, code } of answers) {
      const key = code ? `${status} ${code}` : String(status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };

  return {
    acknowledged,
    unexpectedAnswers,
    statusCounts,
    waitForAcknowledged: async (count, timeoutMs) => {
      await poll(() => (acknowledged.length >= count ? true : undefined), timeoutMs, `${count} acknowledged`);
    },
    waitForAcknowledgedSentAfter: (since, timeoutMs) =>
      poll(
        () => answers.find((answer) => answer.sentAt >= since && answer.status >= 200 && answer.status < 300)?.answeredAt,
        timeoutMs,
        'an acknowledged write after the kill',
      ),
    stop: async () => {
      isStopping = true;
      await loop;
    },
  };
}
