import crypto from 'node:crypto';

/** A region's API, as the writer knows it from its configuration (the REGIONS list). */
export interface RegionEndpoint {
  name: string;
  apiUrl: string;
}

/** A message the API acknowledged (2xx): where, and when its acknowledged attempt was sent and answered. */
export interface AcknowledgedWrite {
  content: string;
  region: string;
  sentAt: number;
  answeredAt: number;
}

export interface RegionWriter {
  acknowledged: AcknowledgedWrite[];
  /** Messages started, and those acknowledged within the client's budget (retries included). */
  operations: { attempted: number; succeeded: number };
  /** Answers a client must never get (a 500, a 503 without Retry-After…), described. */
  unexpectedAnswers: string[];
  /** Each time the writer moved to another region's API, and why. */
  switches: Array<{ at: number; from: string; to: string }>;
  waitForAcknowledged(count: number, timeoutMs: number): Promise<void>;
  /** Stops after the message in flight (one not yet acknowledged is given up and not counted). */
  stop(): Promise<void>;
}

/** How long one attempt may take before the region counts as unreachable (a cut link answers nothing). */
const ATTEMPT_TIMEOUT_MS = 3_000;
/** A message not acknowledged within this is a failed operation (the availability figure counts it). */
const OPERATION_BUDGET_MS = 30_000;

/**
 * Posts messages (`<label>-<n>`) to one conversation through its home region's API, as a region-aware
 * client would: each message keeps one Idempotency-Key across its retries, so a retry after a lost answer
 * can never store it twice; a 503 (database_failover) or 409 (idempotency_key_in_progress) is retried on
 * the same API; an API that does not answer at all (its region cut or gone) makes the writer move to
 * another region's API — the one GET /api/dr/regions names as holding the primary when some region
 * answers it, else the next one in its list that answers at all.
 */
export function startRegionWriter(options: {
  home: string;
  regions: RegionEndpoint[];
  conversationId: string;
  headers: Record<string, string>;
  label: string;
}): RegionWriter {
  const writer: RegionWriter = {
    acknowledged: [],
    operations: { attempted: 0, succeeded: 0 },
    unexpectedAnswers: [],
    switches: [],
    waitForAcknowledged: async (count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (writer.acknowledged.length < count) {
        if (Date.now() > deadline)
          throw new Error(`writer ${options.label}: ${count} acknowledged not reached in ${timeoutMs} ms (${writer.acknowledged.length})`);
        await pause(20);
      }
    },
    stop: async () => {
      isStopping = true;
      await loop;
    },
  };
  let isStopping = false;
  let current = options.regions.find((region) => region.name === options.home) ?? options.regions[0]!;

  const moveAway = async (from: RegionEndpoint) => {
    const next = await chooseRegion(
      options.regions.filter((region) => region !== from),
      options.headers,
    );
    if (!next) return;
    writer.switches.push({ at: Date.now(), from: from.name, to: next.name });
    current = next;
  };

  const writeOne = async (content: string): Promise<boolean> => {
    const key = crypto.randomUUID();
    const startedAt = Date.now();
    while (!isStopping && Date.now() - startedAt < OPERATION_BUDGET_MS) {
      const target = current;
      const sentAt = Date.now();
      let response: Response;
      try {
        response = await fetch(`${target.apiUrl}/api/conversations/${options.conversationId}/messages`, {
          method: 'POST',
          headers: { ...options.headers, 'content-type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify({ role: 'user', content }),
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
      } catch {
        await moveAway(target);
        await pause(100);
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
      // 409 idempotency_key_answer_lost: the first try committed and its answer was lost to the failover.
      if (response.ok || (response.status === 409 && body.error?.code === 'idempotency_key_answer_lost')) {
        writer.acknowledged.push({ content, region: target.name, sentAt, answeredAt: Date.now() });
        return true;
      }
      const code = body.error?.code;
      const isRetryable =
        (response.status === 503 && code === 'database_failover') || (response.status === 409 && code === 'idempotency_key_in_progress');
      if (!isRetryable || response.headers.get('retry-after') === null) {
        writer.unexpectedAnswers.push(`${response.status} ${code ?? ''} from ${target.name} for ${content}`);
      }
      await pause(100);
    }
    return false;
  };

  const loop = (async () => {
    for (let counter = 1; !isStopping; counter += 1) {
      const isAcknowledged = await writeOne(`${options.label}-${counter}`);
      if (isStopping && !isAcknowledged) break;
      writer.operations.attempted += 1;
      if (isAcknowledged) writer.operations.succeeded += 1;
    }
  })();
  return writer;
}

/** The candidate /api/dr/regions names as primary; else the first that answers HTTP at all; else none. */
export async function chooseRegion<Region extends RegionEndpoint>(
  candidates: Region[],
  headers: Record<string, string>,
): Promise<Region | undefined> {
  const answers = await Promise.all(
    candidates.map(async (candidate) => {
      try {
        const response = await fetch(`${candidate.apiUrl}/api/dr/regions`, { headers, signal: AbortSignal.timeout(1_000) });
        const body = (await response.json().catch(() => ({}))) as { data?: { regions?: Array<{ name: string; role?: string }> } };
        return { candidate, primary: body.data?.regions?.find((region) => region.role === 'primary')?.name };
      } catch {
        return undefined;
      }
    }),
  );
  const alive = answers.filter((answer) => answer !== undefined);
  const namedPrimary = alive.map((answer) => answer.primary).find((name) => name !== undefined);
  return alive.find((answer) => answer.candidate.name === namedPrimary)?.candidate ?? alive[0]?.candidate;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
