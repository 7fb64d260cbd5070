import type * as Y from 'yjs';
import type { MessageRole } from '../access/message.ts';
import { isCanonicalId } from '../ids.ts';
import type { RunResult } from '../sandbox/types.ts';

/**
 * The shape of a conversation's collaborative document, `conversation:<uuid>`: the title, the draft the
 * team writes together (TipTap binds to it), and the conversation's messages mirrored from the
 * `messages` table. Both servers and the web client agree on these names through this file.
 */
export const DOCUMENT_NAME_PREFIX = 'conversation:';

/** Root types of the document. */
export const DocumentFields = {
  /** Y.Text */
  title: 'title',
  /** Y.XmlFragment */
  draft: 'draft',
  /** Y.Array<Y.Map<MessageField>> */
  messages: 'messages',
} as const;

/**
 * A file on a message, as the bus and the document carry it: enough to show it and fetch its bytes
 * (`GET /api/attachments/:id`). Hashes and timestamps stay in the table, so the document stays small.
 */
export interface DocumentAttachment {
  id: string;
  /** Display name only. */
  name: string;
  /** Sniffed from the bytes at upload. */
  contentType: string;
  /** In bytes. */
  size: number;
}

/**
 * A code run as a `tool` message carries it (a plain JSON value in the entry, like attachments): what
 * ran and what it printed, so everyone in the room sees the same output under the code.
 */
export interface DocumentExecution extends RunResult {
  /** The run's id (`GET /api/code/executions/:id`, for the person who ran it). */
  id: string;
  language: string;
  code: string;
  /** The message whose code block ran, when it was one (the web client shows the output under that block). */
  sourceMessageId: string | null;
}

/**
 * One message as the document holds it: a Y.Map with these keys. `attachments` is a plain JSON array
 * (not a Y.Array: nobody edits it in place) and is left out of the map when the message has none.
 */
export interface DocumentMessage {
  id: string;
  role: MessageRole;
  /** The author's user id; null for a service account's (assistant and system) messages, or when the account is gone. */
  author: string | null;
  /** The id of the service account (API key) that posted it — the AI, for clients that badge it; null for a person's. */
  serviceAccount: string | null;
  content: string;
  /** ISO 8601, as the REST API presents it. */
  createdAt: string;
  /** When its author last edited it (ISO 8601); null if never. */
  editedAt: string | null;
  /** In upload order; empty when it has none. */
  attachments: DocumentAttachment[];
  /** On `tool` messages: the code run they record; null on every other message. */
  execution: DocumentExecution | null;
}

/** `conversation:<uuid>` for a conversation id. */
export function documentNameFor(conversationId: string): string {
  return `${DOCUMENT_NAME_PREFIX}${conversationId}`;
}

/**
 * The conversation id inside a document name; undefined for any other name, including one whose id is
 * not in its canonical lower-case form (shared/ids.ts): a second spelling would be a second document.
 */
export function conversationIdOf(documentName: string): string | undefined {
  if (!documentName.startsWith(DOCUMENT_NAME_PREFIX)) return undefined;
  const id = documentName.slice(DOCUMENT_NAME_PREFIX.length);
  return isCanonicalId(id) ? id : undefined;
}

/** The document's `messages` array. */
export function messagesOf(doc: Y.Doc): Y.Array<Y.Map<unknown>> {
  return doc.getArray<Y.Map<unknown>>(DocumentFields.messages);
}

/** Reads one message entry back as a plain object (what tests and the web client compare). */
export function readDocumentMessage(entry: Y.Map<unknown>): DocumentMessage {
  return {
    id: entry.get('id') as string,
    role: entry.get('role') as DocumentMessage['role'],
    author: (entry.get('author') as string | null | undefined) ?? null,
    // Entries written before service accounts existed have no such key: a person's, then.
    serviceAccount: (entry.get('serviceAccount') as string | null | undefined) ?? null,
    content: entry.get('content') as string,
    createdAt: entry.get('createdAt') as string,
    editedAt: (entry.get('editedAt') as string | null | undefined) ?? null,
    attachments: readAttachments(entry.get('attachments')),
    execution: readExecution(entry.get('execution')),
  };
}

/** An entry's `execution` value; missing, or anything but an object, reads as none. */
export function readExecution(value: unknown): DocumentExecution | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as DocumentExecution) : null;
}

/** An entry's `attachments` value as a list; missing (no attachments) or not an array reads as none. */
export function readAttachments(value: unknown): DocumentAttachment[] {
  return Array.isArray(value) ? (value as DocumentAttachment[]) : [];
}
