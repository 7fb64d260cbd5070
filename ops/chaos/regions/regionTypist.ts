import { WebSocketStatus, type HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import { openProvider } from '../../../test/collab.ts';
import { startTypist, type AcknowledgedEdit } from '../../../test/collabTypist.ts';
import { chooseRegion, type RegionEndpoint } from './regionWriter.ts';

/** A region as a typist knows it: its API (to ask which region holds the primary) and its collab server. */
export interface CollabRegion extends RegionEndpoint {
  collabUrl: string;
}

export interface RegionTypist {
  /** The region whose collab server it started on. */
  home: string;
  /** Every marker typed, acknowledged or not, in order. */
  written: string[];
  /** The edits a collab server acknowledged, in order. */
  acknowledged: AcknowledgedEdit[];
  /** Each time the typist moved to another region's collab server. */
  moves: Array<{ at: number; from: string; to: string }>;
  /** Connections refused with database_failover (a failover under way), each connected again after a pause. */
  failoverRefusals: number;
  /** Set when an edit was not acknowledged in time: the typist types no more. */
  failure?: string;
  /** Types no more, waits for the edit in flight (rejects when it is never acknowledged), then disconnects. */
  stop(): Promise<void>;
  /** Disconnects at once (a drill that failed). */
  close(): void;
}

/** How long an edit may wait for its acknowledgement, or the socket stay down, before the server is asked whether it lives. */
const STALL_MS = 2_000;
/** A collab server that does not answer /healthz within this is taken for lost (a cut link answers nothing at all). */
const PROBE_TIMEOUT_MS = 2_000;
/** Between two paragraphs: a steady load, not a flood, on a machine that runs three regions. */
const PAUSE_MS = 100;
/** After a database_failover refusal, as the REST API's Retry-After says for its 503. */
const RETRY_AFTER_MS = 2_000;

/**
 * Types paragraphs (`<label>-<n>`) into a conversation's draft through its home region's collab server,
 * as a region-aware editor would, recording what was acknowledged (test/collabTypist.ts). A lost
 * region's server may not close the socket — its link is down, so nothing comes back, not even a
 * reset — and the provider's own check waits 30 s for silence; so while an edit waits for its
 * acknowledgement (or the socket is down) for STALL_MS, the typist asks the server's /healthz. A server
 * that answers is only waiting for the database (a failover) and keeps the typist. One that does not
 * is left: the typist moves to the collab server of the region GET /api/dr/regions names as primary
 * (nextRegion), by dropping the socket, so that the same provider — same Y.Doc, same count of
 * unacknowledged changes — reconnects there and its first sync carries every edit the new server
 * lacks; the sync's own acknowledgement is what releases the edit in flight. A connection refused with
 * database_failover (its server could not check access during a failover) connects again after a pause.
 */
export async function startRegionTypist(options: {
  home: string;
  regions: CollabRegion[];
  conversationId: string;
  accessToken: string;
  headers: Record<string, string>;
  label: string;
}): Promise<RegionTypist> {
  let current = options.regions.find((region) => region.name === options.home) ?? options.regions[0]!;
  const connection = openProvider(() => current.collabUrl, `conversation:${options.conversationId}`, options.accessToken);
  const socket = connection.provider.configuration.websocketProvider;
  let isClosed = false;
  const close = () => {
    if (isClosed) return;
    isClosed = true;
    dropSocket(socket);
    connection.destroy();
  };
  const firstSync = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`typist ${options.label}: no sync with ${current.name} in 30 s`)), 30_000);
    void connection.synced.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  await firstSync.catch((error: unknown) => {
    close();
    throw error;
  });

  // Once closed, the typist's next look at the provider ends it (an edit in flight is never taken for acknowledged).
  const provider = {
    get unsyncedChanges() {
      if (isClosed) throw new Error(`typist ${options.label}: closed`);
      return connection.provider.unsyncedChanges;
    },
  };
  const typist = startTypist(provider, connection.doc, options.label, { pauseMs: PAUSE_MS });
  const regionTypist: RegionTypist = {
    home: options.home,
    written: typist.written,
    acknowledged: typist.acknowledged,
    moves: [],
    failoverRefusals: 0,
    stop: async () => {
      try {
        await typist.stop();
      } finally {
        close();
        await watching;
      }
    },
    close,
  };
  // A refused provider waits for nothing more on its socket: a failover is waited out by connecting again.
  connection.provider.on('authenticationFailed', ({ reason }: { reason: string }) => {
    if (reason !== 'database_failover') return;
    regionTypist.failoverRefusals += 1;
    setTimeout(() => !isClosed && dropSocket(socket), RETRY_AFTER_MS);
  });
  // What the connection went through, for the report of a typist that gave up (a stuck edit is a finding).
  const history: string[] = [];
  const startedAt = Date.now();
  const remember = (what: string) => {
    if (history.push(`+${Date.now() - startedAt} ms ${current.name} ${what}`) > 20) history.shift();
  };
  connection.provider.on('authenticated', () => remember('authenticated'));
  connection.provider.on('authenticationFailed', ({ reason }: { reason: string }) => remember(`refused ${reason}`));
  connection.provider.on('close', ({ event }: { event: { code: number; reason: string } }) =>
    remember(`closed ${event.code} ${event.reason}`),
  );
  connection.provider.on('synced', () => remember('synced'));
  typist.done.catch((error: Error) => {
    regionTypist.failure = `${error.message} (socket ${socket.status}; ${history.join(', ')})`;
  });

  const watching = (async () => {
    let waitingSince: number | undefined;
    while (!isClosed) {
      await pause(200);
      const isWaiting = connection.provider.unsyncedChanges > 0 || socket.status !== WebSocketStatus.Connected;
      if (!isWaiting || isClosed) {
        waitingSince = undefined;
        continue;
      }
      waitingSince ??= Date.now();
      if (Date.now() - waitingSince < STALL_MS) continue;
      if (await isAnswering(current)) {
        waitingSince = Date.now();
        continue;
      }
      const next = await nextRegion(
        options.regions.filter((region) => region !== current),
        options.headers,
      );
      if (!next || isClosed) continue;
      regionTypist.moves.push({ at: Date.now(), from: current.name, to: next.name });
      remember(`moves to ${next.name}`);
      current = next;
      waitingSince = undefined;
      dropSocket(socket);
    }
  })();
  return regionTypist;
}

/**
 * Where to go: the region GET /api/dr/regions names as primary, else the first whose API answers
 * (chooseRegion). While the database fails over no API may answer in time (an authenticated request
 * waits for the database); then the first collab server that is alive, which keeps the edits until
 * the new primary takes them.
 */
async function nextRegion(candidates: CollabRegion[], headers: Record<string, string>): Promise<CollabRegion | undefined> {
  const chosen = await chooseRegion(candidates, headers);
  if (chosen) return chosen;
  const answering = await Promise.all(candidates.map((candidate) => isAnswering(candidate)));
  return candidates.find((_, index) => answering[index]);
}

/** Whether the region's collab server answers its liveness check in time. */
async function isAnswering(region: CollabRegion): Promise<boolean> {
  try {
    const response = await fetch(`${region.collabUrl.replace(/^ws/, 'http')}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Drops the provider's socket at once: its close event makes the provider reconnect (asking for the
 * URL again). A hung socket's close() would wait 30 s for the server's close frame; terminate() does not.
 */
function dropSocket(socket: HocuspocusProviderWebsocket): void {
  const webSocket = socket.webSocket;
  if (!(webSocket instanceof WebSocket)) return;
  // A socket still connecting reports "closed before the connection was established" as an error event.
  webSocket.on('error', () => {});
  webSocket.terminate();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
