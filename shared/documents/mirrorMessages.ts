import * as Y from 'yjs';
import { messagesOf, readDocumentMessage, type DocumentMessage } from './conversationDocument.ts';

/**
 * Keeps a document's `messages` array equal to the `messages` table. Every function here is idempotent
 * by message id, so applying an event twice, or on two collab nodes that both hold the document, ends
 * in the same array. Callers run them inside one `doc.transact` with a server origin.
 */

const FIELDS = ['role', 'author', 'content', 'createdAt'] as const;

function toEntry(message: DocumentMessage): Y.Map<unknown> {
  const entry = new Y.Map<unknown>();
  entry.set('id', message.id);
  for (const field of FIELDS) entry.set(field, message[field]);
  return entry;
}

/** Where a message belongs: before the first entry created after it, so the array stays in table order. */
function insertionIndex(messages: Y.Array<Y.Map<unknown>>, createdAt: string): number {
  const entries = messages.toArray();
  const index = entries.findIndex((entry) => String(entry.get('createdAt')) > createdAt);
  return index === -1 ? entries.length : index;
}

/** Adds the message, or brings an existing entry with its id up to date. */
export function upsertMessage(doc: Y.Doc, message: DocumentMessage): void {
  const messages = messagesOf(doc);
  const existing = messages.toArray().filter((entry) => entry.get('id') === message.id);
  if (existing.length === 0) {
    messages.insert(insertionIndex(messages, message.createdAt), [toEntry(message)]);
    return;
  }
  for (const entry of existing) {
    for (const field of FIELDS) if (entry.get(field) !== message[field]) entry.set(field, message[field]);
  }
}

/** Removes every entry with this id. */
export function removeMessage(doc: Y.Doc, id: string): void {
  const messages = messagesOf(doc);
  for (let index = messages.length - 1; index >= 0; index--) {
    if (messages.get(index).get('id') === id) messages.delete(index, 1);
  }
}

/** Makes the array hold exactly `rows` (in table order): removes strays, updates changed, adds missing. */
export function reconcileMessages(doc: Y.Doc, rows: DocumentMessage[]): void {
  const wanted = new Map(rows.map((row) => [row.id, row]));
  const messages = messagesOf(doc);
  for (let index = messages.length - 1; index >= 0; index--) {
    const id = messages.get(index).get('id');
    if (typeof id !== 'string' || !wanted.has(id)) messages.delete(index, 1);
  }
  removeDuplicateMessages(doc);
  for (const row of rows) upsertMessage(doc, row);
}

/**
 * Deletes every entry but the first with the same id. Two nodes that both add a message (each applies
 * the bus event) produce two entries; once their updates merge, every replica sees them in the same
 * order, so every node deletes the same one and the replicas converge.
 */
export function removeDuplicateMessages(doc: Y.Doc): number {
  const messages = messagesOf(doc);
  const seen = new Set<unknown>();
  const duplicates: number[] = [];
  messages.forEach((entry, index) => {
    const id = entry.get('id');
    if (seen.has(id)) duplicates.push(index);
    seen.add(id);
  });
  for (const index of duplicates.reverse()) messages.delete(index, 1);
  return duplicates.length;
}

/** The messages a document holds, as plain objects, in order. */
export function listDocumentMessages(doc: Y.Doc): DocumentMessage[] {
  return messagesOf(doc).map(readDocumentMessage);
}
