import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider';
import * as Y from 'yjs';
import type { Connectivity } from '../offline/Connectivity';
import type { KeyValueStorage } from '../offline/Outbox';
import { draftTextOf, setDraftText } from './draftText';
import { LocalCopy } from './LocalCopy';

/** What the person sees about the connection; `ended` is final (access revoked, conversation deleted, refused). */
export type RoomState = 'connecting' | 'connected' | 'offline' | 'ended';

/** The awareness `user` field every client publishes (the web client labels carets with it). */
export interface AwarenessUser {
  id: string;
  name: string;
  color: string;
}

/** Someone with the conversation open, from Yjs awareness. */
export interface Presence {
  clientId: number;
  user: AwarenessUser;
  typing: boolean;
  isSelf: boolean;
}

/** One message as the document mirrors it (shared/documents/conversationDocument.ts › DocumentMessage). */
export interface RoomMessage {
  id: string;
  role: string;
  author: string | null;
  content: string;
  createdAt: string;
}

export interface RoomOptions {
  /** `wss://collab.example.com` */
  url: string;
  conversationId: string;
  /** Asked at every (re)connect: the access token, refreshed if needed. */
  token: () => Promise<string>;
  /** Called when the server refuses an expired token; resolves true once a fresh one is available. */
  renewToken?: () => Promise<boolean>;
  user: AwarenessUser;
  connectivity: Connectivity;
  /** Where the document is kept between launches, so a conversation opened before opens offline. */
  storage?: KeyValueStorage;
  /** React Native's WebSocket on a phone; tests pass Node's. */
  WebSocket?: unknown;
  /** Milliseconds between reconnect attempts (the provider's default is 1 s). */
  reconnectDelayMs?: number;
}

/** Close reasons the collab server sends when access ends for good (collab-server/closeConnection.ts). */
const FINAL_CLOSE_REASONS = new Set(['share_revoked', 'access_revoked', 'conversation_deleted', 'session_revoked']);

/**
 * Refusals that mean "not now" rather than "no": the server could not check access (its database is
 * failing over). The room connects again after a pause instead of ending.
 */
const PASSING_REFUSALS = new Set(['database_failover']);
/** The pause before connecting again after a passing refusal. */
const RECONNECT_AFTER_REFUSAL_MS = 2_000;

/**
 * A live conversation, `conversation:<id>` on the collab server: its mirrored `messages`, the shared
 * `draft`, and who is here. Local edits stay in the Yjs document while offline and go out in the
 * provider's sync handshake when the connection returns.
 */
export class ConversationRoom {
  readonly doc = new Y.Doc();
  readonly provider: HocuspocusProvider;
  state: RoomState = 'connecting';
  readOnly = true;
  /** Why the room ended (the server's close or refusal reason). */
  endReason: string | undefined;
  private readonly socket: HocuspocusProviderWebsocket;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private readonly local: LocalCopy | undefined;
  private isAuthenticated = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: RoomOptions) {
    this.local = options.storage && new LocalCopy(options.storage, options.conversationId);
    const delay = options.reconnectDelayMs ?? 1_000;
    this.socket = new HocuspocusProviderWebsocket({
      url: options.url,
      WebSocketPolyfill: options.WebSocket ?? globalThis.WebSocket,
      delay,
      minDelay: delay,
      maxDelay: delay * 10,
      autoConnect: options.connectivity.isOnline(),
    });
    this.provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: `conversation:${options.conversationId}`,
      document: this.doc,
      token: options.token,
    });
    this.provider.on('authenticated', ({ scope }: { scope: string }) => {
      this.isAuthenticated = true;
      this.readOnly = scope !== 'read-write';
      this.local?.rememberScope(scope);
    });
    this.provider.on('synced', () => this.update());
    this.provider.on('status', () => this.update());
    this.provider.on('close', ({ event }: { event: { reason: string } }) => {
      if (FINAL_CLOSE_REASONS.has(event.reason)) this.end(event.reason);
    });
    this.provider.on('authenticationFailed', ({ reason }: { reason: string }) => void this.refused(reason));
    this.provider.on('awarenessChange', () => this.emit());
    this.provider.setAwarenessField('user', options.user);
    this.doc.on('update', () => {
      this.emit();
      if (this.state !== 'ended') this.local?.scheduleSave(this.doc);
    });
    // A provider handed its socket does not attach itself (HocuspocusProvider › manageSocket).
    this.provider.attach();
    this.unsubscribe = options.connectivity.subscribe((isOnline) => {
      if (this.state === 'ended') return;
      // The socket can look open for a while after the network is gone; drop it so the state is honest.
      if (isOnline) void this.socket.connect();
      else this.socket.disconnect();
      this.update();
    });
    void this.loadLocalCopy();
    this.update();
  }

  /** Messages mirrored from the conversation, oldest first. */
  messages(): RoomMessage[] {
    return this.doc
      .getArray<Y.Map<unknown>>('messages')
      .toArray()
      .map((entry) => ({
        id: textOf(entry.get('id')),
        role: textOf(entry.get('role')),
        author: (entry.get('author') as string | null | undefined) ?? null,
        content: textOf(entry.get('content')),
        createdAt: textOf(entry.get('createdAt')),
      }));
  }

  /** The shared draft as plain text (draftText.ts). */
  draftText(): string {
    return draftTextOf(this.doc.getXmlFragment('draft'));
  }

  /** Makes the shared draft read `text`, as the smallest Yjs edit it can. */
  setDraftText(text: string): void {
    if (this.readOnly || this.state === 'ended') return;
    setDraftText(this.doc.getXmlFragment('draft'), text);
  }

  /** Everyone with the conversation open, this phone included. */
  presence(): Presence[] {
    // y-protocols types each state as any: any client may publish anything in it.
    const states = (this.provider.awareness?.getStates() ?? new Map()) as Map<number, Record<string, unknown> | null>;
    return [...states.entries()].flatMap(([clientId, state]) => {
      const user = state?.user as Partial<AwarenessUser> | undefined;
      if (typeof user?.name !== 'string') return [];
      return [{ clientId, user: user as AwarenessUser, typing: state?.typing === true, isSelf: clientId === this.doc.clientID }];
    });
  }

  setTyping(typing: boolean): void {
    if (this.provider.awareness?.getLocalState()?.typing !== typing) this.provider.setAwarenessField('typing', typing);
  }

  /** Local edits the server has not acknowledged yet. */
  get unsyncedChanges(): number {
    return this.provider.unsyncedChanges;
  }

  /** Calls `listener` after any change to the document, presence or connection; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  destroy(): void {
    clearTimeout(this.reconnectTimer);
    this.unsubscribe();
    if (this.state !== 'ended') void this.local?.save(this.doc);
    this.provider.destroy();
    this.socket.destroy();
    this.listeners.clear();
  }

  private async refused(reason: string): Promise<void> {
    if (reason === 'token_expired' && this.options.renewToken && (await this.options.renewToken())) {
      // Reconnecting asks `token()` again, which now answers the renewed token.
      this.socket.disconnect();
      await this.socket.connect();
      return;
    }
    if (PASSING_REFUSALS.has(reason)) {
      this.socket.disconnect();
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => {
        if (this.state !== 'ended') void this.socket.connect();
      }, RECONNECT_AFTER_REFUSAL_MS);
      this.update();
      return;
    }
    this.end(reason);
  }

  private end(reason: string): void {
    this.endReason = reason;
    this.state = 'ended';
    this.socket.disconnect();
    // A copy of a conversation this person may no longer read must not open again offline.
    if (reason !== 'session_revoked') void this.local?.wipe();
    this.emit();
  }

  private update(): void {
    if (this.state === 'ended') return;
    if (!this.options.connectivity.isOnline()) this.state = 'offline';
    else this.state = this.provider.isSynced && this.socket.status === WebSocketStatus.Connected ? 'connected' : 'connecting';
    this.emit();
  }

  private emit(): void {
    this.listeners.forEach((listener) => listener());
  }

  private async loadLocalCopy(): Promise<void> {
    const kept = await this.local?.load();
    if (!kept || this.state === 'ended') return;
    if (kept.update) Y.applyUpdate(this.doc, kept.update, 'local-copy');
    if (kept.scope && !this.isAuthenticated) this.readOnly = kept.scope !== 'read-write';
    this.emit();
  }
}

/** A string field of a message entry; anything else (a newer client's shape) reads as empty. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');
