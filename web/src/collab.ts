import { HocuspocusProvider, WebSocketStatus } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { localDocument, type LocalDocument } from './offline/localDocument.ts';

/**
 * What the person sees about the connection. `revoked` and `denied` are final: the server ended access
 * (a revoked link, a removed member, a deleted conversation) or refused it.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'revoked' | 'denied';

/** Someone in the document, from Yjs awareness. */
export interface Presence {
  clientId: number;
  user: AwarenessUser;
  typing: boolean;
  isSelf: boolean;
}

/** The awareness `user` field every client publishes; CollaborationCaret labels carets with it. */
export interface AwarenessUser {
  id: string;
  name: string;
  color: string;
}

export interface RoomOptions {
  conversationId: string;
  /** Asked at every (re)connect: the access token (refreshed if needed) or a share token. */
  token: () => Promise<string>;
  user: AwarenessUser;
  /** Called on a refusal for an expired token; resolves true once a fresh token is available. */
  renewToken?: () => Promise<boolean>;
  /** The signed-in person whose device keeps a copy of the document (none for share links). */
  savedForUserId?: string;
  onState(state: ConnectionState, detail: StateDetail): void;
}

export interface StateDetail {
  /** Local edits the server has not acknowledged yet (made offline, or still in flight). */
  unsent: number;
  /** Why access ended, for `revoked` and `denied`: the server's close or refusal reason. */
  reason?: string;
  /** The server gave this connection read-only access. */
  readOnly: boolean;
  /**
   * The document is kept on this device, every edit so far included: it opens offline, and edits survive
   * closing the page. False for the moment an edit is being written there.
   */
  savedOnDevice: boolean;
  /** The document is kept on this device, and an edit is being written there right now. */
  savingOnDevice: boolean;
}

/** Close reasons the collab server sends when access ends for good (collab-server/closeConnection.ts). */
const FINAL_CLOSE_REASONS = new Set(['share_revoked', 'access_revoked', 'conversation_deleted', 'session_revoked']);
/** Reasons that say this person may no longer read the conversation: its copy on this device goes too. */
const ACCESS_LOST_REASONS = new Set(['access_revoked', 'conversation_deleted', 'not_found', 'forbidden']);

/**
 * Refusals that mean "not now" rather than "no": the server could not check access (its database is
 * failing over). The room connects again after a pause instead of ending, as a REST client honours a
 * 503's Retry-After.
 */
const PASSING_REFUSALS = new Set(['database_failover']);
/** The pause before connecting again after a passing refusal. */
export const RECONNECT_AFTER_REFUSAL_MS = 2_000;

/** The collaboration server's URL: what the REST server wrote into the page, else this host on 1234. */
export function collabUrl(): string {
  const fromServer = document.querySelector<HTMLMetaElement>('meta[name="collab-url"]')?.content;
  if (fromServer) return fromServer;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:1234`;
}

/**
 * A live conversation document: `conversation:<id>` with its `draft` fragment and `messages` array.
 * Yjs keeps every local edit in the document while the connection is down, and the provider sends them
 * in its sync handshake when it comes back; `pendingEdits` shows how many are not yet acknowledged.
 */
export class Room {
  readonly doc = new Y.Doc();
  readonly provider: HocuspocusProvider;
  state: ConnectionState = 'connecting';
  readOnly = true;
  private reason: string | undefined;
  private wasConnected = false;
  private editsWhileAway = 0;
  private readonly local: LocalDocument | undefined;
  private savedOnDevice = false;
  /** Updates of the document handed to the copy on this device, and how many of those are known to be written. */
  private updatesToDevice = 0;
  private updatesOnDevice = 0;
  private isAuthenticated = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly wentOffline = () => {
    // The socket may look open for a while after the network is gone; drop it so the state is honest.
    this.provider.disconnect();
    this.update();
  };
  private readonly cameOnline = () => {
    if (this.state === 'revoked' || this.state === 'denied') return;
    void this.provider.connect();
    this.update();
  };

  constructor(private readonly options: RoomOptions) {
    // Listeners are attached after construction, not passed as options: the provider hands its options
    // to the socket it creates, which would call them before `this.provider` exists.
    this.provider = new HocuspocusProvider({
      url: collabUrl(),
      name: `conversation:${options.conversationId}`,
      document: this.doc,
      token: options.token,
    });
    this.provider.on('authenticated', ({ scope }: { scope: string }) => {
      this.isAuthenticated = true;
      this.readOnly = scope !== 'read-write';
      this.reason = undefined;
      this.local?.rememberScope(scope);
    });
    this.provider.on('synced', () => {
      this.wasConnected = true;
      this.update();
    });
    this.provider.on('status', () => this.update());
    this.provider.on('unsyncedChanges', () => this.update());
    this.provider.on('close', ({ event }: { event: CloseEvent }) => {
      if (FINAL_CLOSE_REASONS.has(event.reason)) this.end('revoked', event.reason);
    });
    this.provider.on('authenticationFailed', ({ reason }: { reason: string }) => void this.refused(reason));
    this.provider.setAwarenessField('user', options.user);
    if (options.savedForUserId) {
      this.local = localDocument(this.doc, options.savedForUserId, options.conversationId);
      void this.local.ready.then((isLoaded) => this.openedFromDevice(isLoaded));
    }
    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (this.local && !this.local.isOwnOrigin(origin)) this.writingToDevice(this.local);
      // Only edits made after losing a connection (or on the copy from this device) count: the first
      // sync's own setup is not "offline", and neither is loading the saved copy.
      const isLocalEdit = origin !== this.provider && !this.local?.isOwnOrigin(origin);
      if (isLocalEdit && (this.wasConnected || this.savedOnDevice) && this.state !== 'connected') {
        this.editsWhileAway += 1;
        this.local?.rememberWaiting(this.editsWhileAway);
      }
      this.emit();
    });
    window.addEventListener('online', this.cameOnline);
    window.addEventListener('offline', this.wentOffline);
  }

  /**
   * The conversation's title, which the collab server keeps equal to the table's (empty until it has).
   * Only ever read: the REST API renames, and the server writes the change here for everyone.
   */
  get title(): Y.Text {
    return this.doc.getText('title');
  }

  /** Messages mirrored from the conversation, oldest first. */
  get messages(): Y.Array<Y.Map<unknown>> {
    return this.doc.getArray<Y.Map<unknown>>('messages');
  }

  /** Everyone with the document open, this tab included. */
  presence(): Presence[] {
    // y-protocols types each state's fields as any; any client can publish anything in them.
    const states: Map<number, Record<string, unknown> | null> =
      this.provider.awareness?.getStates() ?? new Map<number, Record<string, unknown>>();
    return [...states.entries()].flatMap(([clientId, state]) => {
      const user = state?.user;
      if (typeof user !== 'object' || user === null || !('name' in user) || typeof user.name !== 'string') return [];
      return [{ clientId, user: user as AwarenessUser, typing: state?.typing === true, isSelf: clientId === this.doc.clientID }];
    });
  }

  setTyping(typing: boolean): void {
    if (this.provider.awareness?.getLocalState()?.typing !== typing) this.provider.setAwarenessField('typing', typing);
  }

  destroy(): void {
    clearTimeout(this.reconnectTimer);
    window.removeEventListener('online', this.cameOnline);
    window.removeEventListener('offline', this.wentOffline);
    this.local?.close();
    this.provider.destroy();
    this.doc.destroy();
  }

  private async refused(reason: string): Promise<void> {
    if (reason === 'token_expired' && this.options.renewToken && (await this.options.renewToken())) {
      // Reconnecting asks `token()` again, which now answers the renewed token.
      this.provider.disconnect();
      await this.provider.connect();
      return;
    }
    if (PASSING_REFUSALS.has(reason)) {
      this.provider.disconnect();
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => void this.provider.connect(), RECONNECT_AFTER_REFUSAL_MS);
      this.update();
      return;
    }
    this.end(reason === 'not_found' && this.wasConnected ? 'revoked' : 'denied', reason);
  }

  private end(state: 'revoked' | 'denied', reason: string): void {
    this.reason = reason;
    this.state = state;
    this.provider.disconnect();
    if (ACCESS_LOST_REASONS.has(reason) && this.local) {
      // A stale copy of a conversation this person may no longer read must not open again offline.
      this.savedOnDevice = false;
      void this.local.wipe();
    }
    this.emit();
  }

  /** The copy on this device is in the document: offline, the draft is editable as the server last allowed. */
  private async openedFromDevice(isLoaded: boolean): Promise<void> {
    if (!isLoaded || this.state === 'revoked' || this.state === 'denied') return;
    this.savedOnDevice = true;
    const [scope, waiting] = await Promise.all([this.local?.lastScope(), this.local?.lastWaiting()]);
    if (!this.isAuthenticated && scope) this.readOnly = scope !== 'read-write';
    // Edits made away last time and never synced are still waiting (unless this connection has synced them).
    if (this.state !== 'connected') this.editsWhileAway += waiting ?? 0;
    else if (waiting) this.local?.rememberWaiting(0);
    this.update();
  }

  /** The copy on this device is writing an update: "saved on this device" waits until it has. */
  private writingToDevice(local: LocalDocument): void {
    const update = ++this.updatesToDevice;
    void local.written().then((isWritten) => {
      if (!isWritten || update <= this.updatesOnDevice) return;
      this.updatesOnDevice = update;
      this.emit();
    });
  }

  private update(): void {
    if (this.state === 'revoked' || this.state === 'denied') return;
    const status = this.provider.configuration.websocketProvider.status;
    if (!navigator.onLine) this.state = 'offline';
    else if (status === WebSocketStatus.Connected && this.provider.isSynced) this.state = 'connected';
    else if (status === WebSocketStatus.Disconnected && this.wasConnected) this.state = 'offline';
    else this.state = this.wasConnected ? 'reconnecting' : 'connecting';
    this.emit();
  }

  private emit(): void {
    // Once synced again, the handshake has carried every edit made while away.
    if (this.state === 'connected' && this.provider.unsyncedChanges === 0 && this.editsWhileAway > 0) {
      this.editsWhileAway = 0;
      this.local?.rememberWaiting(0);
    }
    const unsent = this.state === 'connected' ? this.provider.unsyncedChanges : this.editsWhileAway;
    const isWriting = this.updatesOnDevice !== this.updatesToDevice;
    this.options.onState(this.state, {
      unsent,
      reason: this.reason,
      readOnly: this.readOnly,
      savedOnDevice: this.savedOnDevice && !isWriting,
      savingOnDevice: this.savedOnDevice && isWriting,
    });
  }
}

/** A stable colour for a user id, as #rrggbb (what CollaborationCaret accepts), dark enough for white text. */
export function colorFor(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hslToHex(hash % 360, 0.7, 0.38);
}

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const chroma = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - chroma * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}
