/** The REST API's shapes the client uses (see the *.schemas.ts files under rest-api/modules). */
export interface User { id: string; email: string; name: string; createdAt: string }
export interface Session { accessToken: string; refreshToken: string; user: User }
export interface Conversation { id: string; title: string; ownerId: string; workspaceId: string | null; createdAt: string; updatedAt: string; policies: Record<string, boolean> }
export interface Message { id: string; conversationId: string; role: 'user' | 'assistant' | 'system'; authorId?: string | null; content: string; createdAt: string; editedAt?: string | null; attachments?: Attachment[] }
/** A file on a message: what the REST API and the document both carry (the API adds sha256 and createdAt). */
export interface Attachment { id: string; name: string; contentType: string; size: number }
export type Permission = 'read' | 'comment' | 'edit';
export interface Share { id: string; conversationId: string; permission: Permission; url: string; hasPassword: boolean; expiresAt: string | null; maxViews: number | null; viewCount: number; revokedAt: string | null; createdAt: string }
export interface ShareView { conversation: Pick<Conversation, 'id' | 'title' | 'createdAt' | 'updatedAt' | 'policies'>; messages: Message[]; hasMoreMessages: boolean; token: string; permission: Permission; expiresAt: string }
export type WorkspaceRole = 'admin' | 'member' | 'viewer';
export interface Workspace { id: string; name: string; slug: string; ownerId: string; role: WorkspaceRole; policies: Record<string, boolean> }
export interface Member { userId: string; name: string; email: string; role: WorkspaceRole; isOwner: boolean; joinedAt: string }
export interface Invitation { id: string; email: string; role: WorkspaceRole; status: 'pending' | 'expired'; expiresAt: string }
export interface Page<T> { data: T[]; pagination: { nextCursor: string | null } }

/** An `{ error: { code, message } }` answer; `code` is what the UI branches on. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const SESSION_KEY = 'twinmcp.session';
/** Refresh a little before the access token lapses, so a request never races its expiry. */
const EXPIRY_MARGIN_MS = 20_000;

/** The signed-in session, kept in localStorage so every tab shares it. */
export const session = {
  get(): Session | null {
    try {
      return JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    } catch {
      return null;
    }
  },
  set(value: Session): void {
    localStorage.setItem(SESSION_KEY, JSON.stringify(value));
  },
  clear(): void {
    localStorage.removeItem(SESSION_KEY);
  },
};

let refreshing: Promise<boolean> | null = null;

/**
 * Exchanges the refresh token for a new pair. Refresh tokens are single-use and a replayed one revokes
 * the whole session family, so tabs take turns under a Web Lock and a tab that finds the token already
 * rotated by another simply uses the new one.
 */
export function refreshSession(): Promise<boolean> {
  const before = session.get()?.refreshToken;
  refreshing ??= withLock(async () => {
    const current = session.get();
    if (!current) return false;
    if (current.refreshToken !== before && !isExpiring(current.accessToken)) return true;
    try {
      const { data: fresh } = await request<{ data: Session }>('POST', '/api/auth/refresh', { refreshToken: current.refreshToken });
      session.set(fresh);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) session.clear();
      return false;
    }
  }).finally(() => (refreshing = null));
  return refreshing;
}

function withLock<T>(run: () => Promise<T>): Promise<T> {
  // Web Locks exist only in secure contexts (https, localhost); elsewhere one tab at a time is a hope.
  return navigator.locks ? (navigator.locks.request('twinmcp-refresh', run) as Promise<T>) : run();
}

/** The access token, refreshed first when it is about to lapse: what the collaboration provider sends. */
export async function freshAccessToken(): Promise<string> {
  const current = session.get();
  if (current && isExpiring(current.accessToken)) await refreshSession();
  return session.get()?.accessToken ?? '';
}

function isExpiring(token: string): boolean {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return typeof payload.exp === 'number' && payload.exp * 1000 - Date.now() < EXPIRY_MARGIN_MS;
  } catch {
    return false;
  }
}

/** Calls the API as the signed-in user; an expired access token is refreshed and the call retried once. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    try {
      return await request<T>(method, path, body, session.get()?.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'token_expired') || !(await refreshSession())) throw error;
      return await request<T>(method, path, body, session.get()?.accessToken);
    }
  } catch (error) {
    // The session is gone for good (expired refresh, revoked family): the app goes back to sign-in.
    if (error instanceof ApiError && error.status === 401) {
      session.clear();
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    throw error;
  }
}

/** Fired on window when the session ends without the person asking. */
export const SIGNED_OUT_EVENT = 'twinmcp:signed-out';

/**
 * One HTTP call: JSON out, errors as ApiError. The body goes as JSON, or as it is when it is FormData
 * (uploads: the browser writes the multipart boundary into Content-Type itself).
 */
export async function request<T>(method: string, path: string, body?: unknown, accessToken?: string): Promise<T> {
  const res = await send(method, path, { body, accessToken, accept: 'application/json' });
  if (res.status === 204) return undefined as T;
  return (await res.json().catch(() => null)) as T;
}

/**
 * The bytes at `path` (an attachment) as a Blob, with a bearer token: the route reads Authorization,
 * never cookies or the URL, so an `<img src>` or a plain link cannot fetch it.
 */
export async function requestBlob(path: string, accessToken: string): Promise<Blob> {
  const res = await send('GET', path, { accessToken, accept: '*/*' });
  return res.blob();
}

async function send(method: string, path: string, options: { body?: unknown; accessToken?: string; accept: string }): Promise<Response> {
  const { body, accessToken } = options;
  const isForm = body instanceof FormData;
  const headers: Record<string, string> = { Accept: options.accept };
  if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json';
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : isForm ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.');
  }
  if (res.ok) return res;
  const payload = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  throw new ApiError(res.status, payload?.error?.code ?? 'http_error', payload?.error?.message ?? `HTTP ${res.status}`);
}
