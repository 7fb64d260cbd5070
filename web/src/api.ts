import type { components } from './api.generated.ts';
import { routeUrl, type ApiPath, type CallArguments, type MethodOf, type ResponseOf, type UrlParts } from './apiRoutes.ts';
import { wipeLocalData } from './offline/localData.ts';
import { wipeLocalDocument } from './offline/localDocument.ts';
import { forgetAnswers, isKeptForOffline, keepAnswer, savedAnswer } from './offline/savedAnswers.ts';

// The REST API's shapes, derived from the generated OpenAPI types (npm run api:types): never copied by hand.
type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Session = Schemas['Session'];
export type Conversation = Schemas['Conversation'];
export type Message = Schemas['Message'];
/** A message as a share link shows it: without who wrote or edited it. */
export type SharedMessage = Schemas['SharedMessage'];
export type Attachment = Schemas['Attachment'];
/** What a message entry in the live document carries of a file; the REST API adds sha256 and createdAt. */
export type AttachmentSummary = Pick<Attachment, 'id' | 'name' | 'contentType' | 'size'>;
export type Share = Schemas['Share'];
export type CreatedShare = Schemas['CreatedShare'];
export type Permission = Share['permission'];
export type ShareView = Schemas['ShareView'];
export type Workspace = Schemas['Workspace'];
export type WorkspaceRole = Workspace['role'];
export type Member = Schemas['WorkspaceMember'];
export type Invitation = Schemas['WorkspaceInvitation'];
/** A language the code runner takes (`POST /api/code/execute`). */
export type CodeLanguage = Schemas['CodeLanguage']['language'];
/** A run as `POST /api/code/execute` answers it. */
export type CodeExecution = Schemas['CodeExecution'];
/** A run as a `tool` message carries it (in the REST message and the document's entry alike). */
export type MessageExecution = NonNullable<Message['execution']>;
/** An installed plugin as `GET /api/plugins` lists it, with its tools. */
export type Plugin = Schemas['Plugin'];
/** A plugin's tool: its name, JSON Schema of arguments and MCP hints (destructiveHint asks for confirmation). */
export type PluginTool = Schemas['PluginTool'];
/** Every list answers the same page shape; this one is read off the conversations list. */
export type Page<T> = { data: T[]; pagination: ResponseOf<'/api/conversations', 'GET'>['pagination'] };
/** The error body every route documents. */
type ErrorBody = Schemas['Error'];

/** An `{ error: { code, message } }` answer; `code` is what the UI branches on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From Retry-After, on 429 and 503: how long to wait before trying again. */
    readonly retryAfterSeconds?: number,
  ) {
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
    const before = session.get()?.user.id;
    localStorage.setItem(SESSION_KEY, JSON.stringify(value));
    if (before !== value.user.id) window.dispatchEvent(new Event(SIGNED_IN_EVENT));
  },
  /** The person signs out: the session ends and everything this device kept for them is wiped. */
  clear(): void {
    const userId = session.get()?.user.id;
    localStorage.removeItem(SESSION_KEY);
    if (userId) void wipeLocalData(userId);
  },
};

/**
 * The session lapsed without the person asking (expired or revoked refresh): they sign in again, and
 * what they wrote offline is kept on this device for when they do.
 */
function dropSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

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
      const { data: fresh } = await publicApi('POST', '/api/auth/refresh', { body: { refreshToken: current.refreshToken } });
      session.set(fresh);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) dropSession();
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

/**
 * Calls a route as the signed-in user; an expired access token is refreshed and the call retried once.
 * The route is named as in the OpenAPI document (`/api/conversations/{id}`) with its `params`, `query`
 * and `body`, all checked against the generated types.
 */
export async function api<P extends ApiPath, M extends MethodOf<P>>(
  method: M,
  path: P,
  ...[options]: CallArguments<P, M>
): Promise<ResponseOf<P, M>> {
  const parts = (options ?? {}) as UrlParts;
  const url = routeUrl(path, parts);
  const call = () => withSession<ResponseOf<P, M>>((accessToken) => request(method, url, parts.body, accessToken));
  const userId = session.get()?.user.id;
  if (method !== 'GET' || !userId || !isKeptForOffline(path)) return call();
  return readKeptForOffline(userId, url, parts, call);
}

/**
 * A read a conversation page needs, kept for offline use: its last answer stands in when the server
 * cannot be reached, and a 404 for a conversation (deleted, or no longer shared) wipes what this
 * device kept of it.
 */
async function readKeptForOffline<T>(userId: string, url: string, parts: UrlParts, call: () => Promise<T>): Promise<T> {
  try {
    const answer = await call();
    keepAnswer(userId, url, answer);
    return answer;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const conversationId = url.startsWith('/api/conversations/') ? parts.params?.id?.toLowerCase() : undefined;
    // Not awaited: a stalled IndexedDB must not keep the page from saying the conversation is gone.
    if (error.status === 404 && conversationId) {
      void wipeLocalDocument(userId, conversationId);
      void forgetAnswers(userId, routeUrl('/api/conversations/{id}', { params: parts.params }));
    }
    if (error.status !== 0) throw error;
    const saved = (await savedAnswer(userId, url)) as T | undefined;
    if (saved === undefined) throw error;
    return saved;
  }
}

/**
 * Runs `call` with the access token; an expired one is refreshed and the call retried once, and a
 * session gone for good sends the app back to sign-in. What `api()` does, for calls it cannot type
 * (binary answers, upload progress, routes not yet in the generated types).
 */
export async function withSession<T>(call: (accessToken: string | undefined) => Promise<T>): Promise<T> {
  try {
    try {
      return await call(session.get()?.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'token_expired') || !(await refreshSession())) throw error;
      return await call(session.get()?.accessToken);
    }
  } catch (error) {
    // The session is gone for good (expired refresh, revoked family): the app goes back to sign-in.
    if (error instanceof ApiError && error.status === 401) {
      dropSession();
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    throw error;
  }
}

/** Calls a route without the session: signing in, opening a share link, refreshing, signing out. */
export function publicApi<P extends ApiPath, M extends MethodOf<P>>(
  method: M,
  path: P,
  ...[options]: CallArguments<P, M>
): Promise<ResponseOf<P, M>> {
  const parts = (options ?? {}) as UrlParts;
  return request(method, routeUrl(path, parts), parts.body);
}

/** Fired on window when someone signs in (not when a session is merely refreshed). */
export const SIGNED_IN_EVENT = 'twinmcp:signed-in';

/** Fired on window when the session ends without the person asking. */
export const SIGNED_OUT_EVENT = 'twinmcp:signed-out';

/**
 * One HTTP call: JSON out, errors as ApiError. The body goes as JSON, or as it is when it is FormData
 * (uploads: the browser writes the multipart boundary into Content-Type itself). Its answer is taken to
 * be what the route documents: the server checks its own answers against the same schemas in tests.
 */
async function request<T>(method: string, url: string, body?: unknown, accessToken?: string): Promise<T> {
  const res = await send(method, url, { body, accessToken, accept: 'application/json' });
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

/** One HTTP call with a bearer token; a refusal becomes an ApiError with the server's code and message. */
export async function send(
  method: string,
  path: string,
  options: {
    body?: unknown;
    accessToken?: string;
    accept: string;
    /** Sent as Idempotency-Key: a repeat of this request is answered from the first instead of done again. */
    idempotencyKey?: string;
  },
): Promise<Response> {
  const { body, accessToken } = options;
  const isForm = body instanceof FormData;
  const headers: Record<string, string> = { Accept: options.accept };
  if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json';
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : isForm ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.');
  }
  if (res.ok) return res;
  const payload = (await res.json().catch(() => null)) as Partial<ErrorBody> | null;
  const retryAfter = Number(res.headers.get('Retry-After') ?? NaN);
  throw new ApiError(
    res.status,
    payload?.error?.code ?? 'http_error',
    payload?.error?.message ?? `HTTP ${res.status}`,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  );
}
