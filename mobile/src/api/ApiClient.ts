import { ApiError } from './ApiError';
import type { Conversation, CreatedShare, Device, Message, Page, Session, Workspace } from './types';
import type { SessionStorage } from '../session/SessionStorage';

/** Refresh a little before the access token lapses, so a request never races its expiry. */
const EXPIRY_MARGIN_MS = 20_000;

export interface ApiClientOptions {
  /** `https://collab.example.com`, no trailing slash. */
  baseUrl: string;
  /** Where the session is kept between launches. */
  storage: SessionStorage;
  /** The network; tests hand in one that can lose an answer. */
  fetch?: typeof fetch;
  /** The clock, in ms since epoch. */
  now?: () => number;
  /** Refresh when the access token has less than this left; defaults to 20 s. */
  expiryMarginMs?: number;
}

/** How a call goes out: its JSON body, and for POSTs the Idempotency-Key that makes a resend safe. */
export interface CallOptions {
  body?: unknown;
  idempotencyKey?: string;
}

/**
 * The REST API as the app uses it. It owns the session: it signs in, keeps the tokens in `storage`,
 * and refreshes them with rotation the way the web client does — refresh tokens are single-use and a
 * replayed one revokes the whole family, so at most one refresh runs at a time and every caller waits
 * for it. A call refused with `token_expired` is refreshed and retried once; a refresh refused with 401
 * means the session is over and the app returns to sign-in.
 */
export class ApiClient {
  private session: Session | null = null;
  private refreshing: Promise<boolean> | null = null;
  /** The device this install registered for push in this launch: unregistered on sign-out. */
  private pushDeviceId: string | undefined;
  private readonly listeners = new Set<(session: Session | null) => void>();
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: ApiClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
  }

  /** Reads the session kept from the last launch (signed in already, or not). */
  async restore(): Promise<Session | null> {
    this.session = await this.options.storage.load();
    return this.session;
  }

  currentSession(): Session | null {
    return this.session;
  }

  /** Calls `listener` on sign-in and sign-out (not on a refresh); returns the unsubscribe. */
  onSessionChange(listener: (session: Session | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signIn(email: string, password: string): Promise<Session> {
    const { data } = await this.send<{ data: Session }>('POST', '/api/auth/login', { body: { email, password } });
    await this.adopt(data, true);
    return data;
  }

  async register(name: string, email: string, password: string): Promise<Session> {
    const { data } = await this.send<{ data: Session }>('POST', '/api/auth/register', { body: { name, email, password } });
    await this.adopt(data, true);
    return data;
  }

  /**
   * Ends this device's session on the server (best effort when offline) and forgets it here. The push
   * registration goes first: a signed-out phone must not keep receiving the person's notifications.
   */
  async signOut(): Promise<void> {
    await this.unregisterPush();
    const refreshToken = this.session?.refreshToken;
    if (refreshToken) await this.send('POST', '/api/auth/logout', { body: { refreshToken } }).catch(() => undefined);
    await this.forget();
  }

  /** Revokes every session of this person, on every device, then forgets it here. */
  async signOutEverywhere(): Promise<void> {
    await this.unregisterPush();
    await this.call('POST', '/api/auth/logout-all');
    await this.forget();
  }

  /**
   * Exchanges the refresh token for a new pair; true when it worked. Concurrent callers share one
   * exchange. A 401 ends the session (expired, revoked, or replayed elsewhere); a network failure keeps
   * it, to try again later.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const current = this.session;
      if (!current) return false;
      try {
        const { data } = await this.send<{ data: Session }>('POST', '/api/auth/refresh', { body: { refreshToken: current.refreshToken } });
        // Signed out while the exchange ran: the new pair belongs to nobody.
        if (this.session?.refreshToken !== current.refreshToken) return false;
        await this.adopt(data, false);
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) await this.forget();
        return false;
      }
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** The access token, refreshed first when it is about to lapse: what the collab connection sends. */
  async freshAccessToken(): Promise<string> {
    if (this.session && this.isExpiring(this.session.accessToken)) await this.refresh();
    return this.session?.accessToken ?? '';
  }

  /** Calls a route as the signed-in person; `token_expired` is refreshed and the call retried once. */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const accessToken = await this.freshAccessToken();
    try {
      return await this.send<T>(method, path, { ...options, accessToken });
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'token_expired') || !(await this.refresh())) throw error;
      return this.send<T>(method, path, { ...options, accessToken: this.session?.accessToken });
    }
  }

  /** The person's own conversations and those of every workspace they belong to, most recently updated first. */
  async listConversations(): Promise<Conversation[]> {
    const [personal, workspaces] = await Promise.all([
      this.call<Page<Conversation>>('GET', '/api/conversations?limit=100'),
      this.listWorkspaces(),
    ]);
    const shared = await Promise.all(
      workspaces.map((workspace) =>
        this.call<Page<Conversation>>('GET', `/api/conversations?limit=100&workspaceId=${encodeURIComponent(workspace.id)}`),
      ),
    );
    return [personal, ...shared].flatMap((page) => page.data).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  async listWorkspaces(): Promise<Workspace[]> {
    return (await this.call<Page<Workspace>>('GET', '/api/workspace?limit=100')).data;
  }

  async createConversation(title: string, idempotencyKey?: string): Promise<Conversation> {
    return (await this.call<{ data: Conversation }>('POST', '/api/conversations', { body: { title }, idempotencyKey })).data;
  }

  async postMessage(conversationId: string, content: string, idempotencyKey?: string): Promise<Message> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages`;
    return (await this.call<{ data: Message }>('POST', path, { body: { role: 'user', content }, idempotencyKey })).data;
  }

  async getConversation(conversationId: string): Promise<Conversation> {
    return (await this.call<{ data: Conversation }>('GET', `/api/conversations/${encodeURIComponent(conversationId)}`)).data;
  }

  async listMessages(conversationId: string): Promise<Message[]> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages?limit=100`;
    return (await this.call<Page<Message>>('GET', path)).data;
  }

  /** A read-only link to the conversation, with its QR code. */
  async createShare(conversationId: string, idempotencyKey?: string): Promise<CreatedShare> {
    const body = { conversationId, permission: 'read' };
    return (await this.call<{ data: CreatedShare }>('POST', '/api/share', { body, idempotencyKey })).data;
  }

  /** Registers this install's Expo push token, so new messages reach the phone. */
  async registerPushToken(token: string, name: string, idempotencyKey?: string): Promise<Device> {
    const device = (await this.call<{ data: Device }>('POST', '/api/devices', { body: { kind: 'expo', token, name }, idempotencyKey }))
      .data;
    this.pushDeviceId = device.id;
    return device;
  }

  private async unregisterPush(): Promise<void> {
    if (!this.pushDeviceId) return;
    await this.call('DELETE', `/api/devices/${encodeURIComponent(this.pushDeviceId)}`).catch(() => undefined);
    this.pushDeviceId = undefined;
  }

  private async send<T>(method: string, path: string, options: CallOptions & { accessToken?: string }): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.accessToken) headers.Authorization = `Bearer ${options.accessToken}`;
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    let res: Response;
    try {
      res = await this.fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.');
    }
    if (res.status === 204) return undefined as T;
    const payload = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (res.ok) return payload as T;
    const retryAfter = Number(res.headers.get('Retry-After') ?? NaN);
    throw new ApiError(
      res.status,
      payload?.error?.code ?? 'http_error',
      payload?.error?.message ?? `HTTP ${res.status}`,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    );
  }

  private async adopt(session: Session, isSignIn: boolean): Promise<void> {
    this.session = session;
    await this.options.storage.save(session);
    if (isSignIn) this.listeners.forEach((listener) => listener(session));
  }

  private async forget(): Promise<void> {
    this.session = null;
    await this.options.storage.clear();
    this.listeners.forEach((listener) => listener(null));
  }

  private isExpiring(token: string): boolean {
    const exp = expiryOf(token);
    return exp !== undefined && exp * 1000 - this.now() < (this.options.expiryMarginMs ?? EXPIRY_MARGIN_MS);
  }
}

/** The `exp` claim of a JWT (seconds since epoch); undefined when the token does not say. */
export function expiryOf(token: string): number | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = decodeBase64Url(part);
    const payload = JSON.parse(json) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

/** atob exists in Hermes and in Node; the JWT payload is ASCII JSON. */
function decodeBase64Url(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  return atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
}
