import * as Y from 'yjs';
import {
  messagesOf,
  readAttachments,
  readDocumentMessage,
  readExecution,
  type DocumentAttachment,
  type DocumentExecution,
  type DocumentMessage,
} from './conversationDocument.ts';

/**
 * Keeps a document's `messages` array equal to the `messages` table. Every function here is idempotent
 * by message id, so applying an event twice, or on two collab nodes that both hold the document, ends
 * in the same array. Callers run them inside one `doc.transact` with a server origin.
 */

const FIELDS = ['role', 'author', 'serviceAccount', 'content', 'createdAt', 'editedAt'] as const;
const KEYS = new Set<string>(['id', ...FIELDS, 'attachments', 'execution']);
/** What the document keeps of each attachment, in this order. */
const ATTACHMENT_FIELDS = ['id', 'name', 'contentType', 'size'] as const;

/** The message id of an entry, or undefined for anything that is not a message map with a string id. */
export function messageIdOf(entry: unknown): string | undefined {
  if (!(entry instanceof Y.Map)) return undefined;
  const id: unknown = entry.get('id');
  return typeof id === 'string' ? id : undefined;
}

function toEntry(message: DocumentMessage): Y.Map<unknown> {
  const entry = new Y.Map<unknown>();
  entry.set('id', message.id);
  for (const field of FIELDS) entry.set(field, message[field]);
  // Not setAttachments: reading a map before it is in a document only draws a warning from Yjs.
  if (message.attachments.length > 0) entry.set('attachments', message.attachments.map(compactAttachment));
  if (message.execution) entry.set('execution', message.execution);
  return entry;
}

/**
 * Writes the entry's execution when it differs by value (a plain JSON value, like attachments: a copy
 * from another replica is never the same object). A run's record does not change once posted, so this
 * writes at most once per entry, when a malformed document is repaired.
 */
function setExecution(entry: Y.Map<unknown>, execution: DocumentExecution | null): void {
  const held = readExecution(entry.get('execution'));
  if (execution === null) {
    if (entry.has('execution')) entry.delete('execution');
  } else if (held === null || JSON.stringify(held) !== JSON.stringify(execution)) {
    entry.set('execution', execution);
  }
}

/**
 * Writes the entry's attachment list when it differs by value from what it holds. The list is a plain
 * JSON value, so a copy that arrived from another replica is never the same object as the event's:
 * comparing references would rewrite it on every event and grow the document each time.
 */
function setAttachments(entry: Y.Map<unknown>, attachments: DocumentAttachment[]): void {
  const wanted = attachments.map(compactAttachment);
  const held = entry.get('attachments');
  if (wanted.length === 0) {
    if (held !== undefined) entry.delete('attachments');
  } else if (held === undefined || !sameAttachments(readAttachments(held), wanted)) {
    entry.set('attachments', wanted);
  }
}

/** Only the fields the document keeps, whatever else the caller's object carries. */
function compactAttachment(attachment: DocumentAttachment): DocumentAttachment {
  return { id: attachment.id, name: attachment.name, contentType: attachment.contentType, size: attachment.size };
}

function sameAttachments(held: readonly DocumentAttachment[], wanted: readonly DocumentAttachment[]): boolean {
  return (
    held.length === wanted.length &&
    held.every((attachment, index) => ATTACHMENT_FIELDS.every((field) => attachment?.[field] === wanted[index]![field]))
  );
}

/** Where a message belongs: before the first entry created after it, so the array stays in table order. */
function insertionIndex(messages: Y.Array<Y.Map<unknown>>, createdAt: string): number {
  const entries = messages.toArray();
  const index = entries.findIndex((entry) => entry instanceof Y.Map && String(entry.get('createdAt')) > createdAt);
  return index === -1 ? entries.length : index;
}

/** Adds the message, or brings an existing entry with its id up to date. */
export function upsertMessage(doc: Y.Doc, message: DocumentMessage): void {
  const messages = messagesOf(doc);
  const existing = messages.toArray().filter((entry) => messageIdOf(entry) === message.id);
  if (existing.length === 0) {
    messages.insert(insertionIndex(messages, message.createdAt), [toEntry(message)]);
    return;
  }
  for (const entry of existing) {
    // A missing key reads as null (readDocumentMessage): entries from before a field existed are not rewritten just to add it.
    for (const field of FIELDS) if ((entry.get(field) ?? null) !== message[field]) entry.set(field, message[field]);
    setAttachments(entry, message.attachments);
    setExecution(entry, message.execution);
    for (const key of entry.keys()) if (!KEYS.has(key)) entry.delete(key);
  }
}

/** Removes every entry with this id. */
export function removeMessage(doc: Y.Doc, id: string): void {
  const messages = messagesOf(doc);
  for (let index = messages.length - 1; index >= 0; index--) {
    if (messageIdOf(messages.get(index)) === id) messages.delete(index, 1);
  }
}

/**
 * Makes the array hold exactly `rows` (in table order): removes strays — anything that is not a message
 * map, or names no message of the table — updates changed fields, drops foreign keys, adds missing.
 * Returns how many entries were not message maps at all (a malformed document).
 */
export function reconcileMessages(doc: Y.Doc, rows: DocumentMessage[]): { malformed: number } {
  const wanted = new Map(rows.map((row) => [row.id, row]));
  const messages = messagesOf(doc);
  let malformed = 0;
  for (let index = messages.length - 1; index >= 0; index--) {
    const id = messageIdOf(messages.get(index));
    if (id === undefined) malformed += 1;
    if (id === undefined || !wanted.has(id)) messages.delete(index, 1);
  }
  removeDuplicateMessages(doc);
  for (const row of rows) upsertMessage(doc, row);
  return { malformed };
}

/**
 * Replaces each entry with a fresh copy of itself at the same place. A replica that changed or deleted
 * an entry locally (its change never reached anyone else) gets the entry back this way: the old one is
 * deleted, inner changes and all, and the copy is new to every replica.
 */
export function recreateMessageEntries(doc: Y.Doc, entries: readonly Y.Map<unknown>[]): number {
  const messages = messagesOf(doc);
  let recreated = 0;
  for (const entry of entries) {
    const index = messages.toArray().indexOf(entry);
    if (index === -1 || messageIdOf(entry) === undefined) continue;
    const message = readDocumentMessage(entry);
    messages.delete(index, 1);
    messages.insert(index, [toEntry(message)]);
    recreated += 1;
  }
  return recreated;
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
    const id = messageIdOf(entry);
    if (id === undefined) return;
    if (seen.has(id)) duplicates.push(index);
    seen.add(id);
  });
  for (const index of duplicates.reverse()) messages.delete(index, 1);
  return duplicates.length;
}

/** The messages a document holds, as plain objects, in order; anything that is not a message map is skipped. */
export function listDocumentMessages(doc: Y.Doc): DocumentMessage[] {
  return messagesOf(doc)
    .toArray()
    .filter((entry) => messageIdOf(entry) !== undefined)
    .map(readDocumentMessage);
}

/** True when two entries carry the same message id (two nodes both added it). */
export function hasDuplicateMessages(doc: Y.Doc): boolean {
  const ids = messagesOf(doc)
    .toArray()
    .map(messageIdOf)
    .filter((id) => id !== undefined);
  return new Set(ids).size !== ids.length;
}
