import * as Y from 'yjs';
import { DocumentFields } from './conversationDocument.ts';
import { loadConversationState } from './loadConversationState.ts';
import type { Knex } from 'knex';

/**
 * A conversation's title lives in two places: the document's `title` (Y.Text, which people edit
 * together) and `conversations.title` (what lists, share views and search read). The document is the
 * source: every change to its title reaches the table in the same commit — an edit through the
 * collab server with the update-log commit that acknowledges it (UpdateLogWriter), a rename through
 * the REST API as an edit appended to the document's update log beside the table change. So on load
 * the document wins, and the table never holds a title the document does not. An empty document
 * title has not taken the title over yet (a conversation nobody renamed since it was created): the
 * table's stands.
 */

/** Longest title the table keeps (the API's limit). */
const MAX_TITLE = 200;

/** The document's title as typed. */
export function documentTitleOf(doc: Y.Doc): string {
  return doc.getText(DocumentFields.title).toString();
}

/**
 * The document's title as the table keeps it: control characters (newlines, NUL) as spaces, trimmed,
 * at most 200 characters. Undefined when nothing is left: the table keeps the title it has.
 */
export function titleForTable(text: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const cleaned = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!cleaned) return undefined;
  return Array.from(cleaned).slice(0, MAX_TITLE).join('').trim();
}

/**
 * The Yjs update that renames the document: the title as PostgreSQL holds it (stored state and update
 * log) replaced by `title`. Applied anywhere, any number of times, it is one and the same edit, so
 * every node that holds the document and every later load end up with the same title.
 */
export async function renameDocumentUpdate(db: Knex, conversationId: string, title: string): Promise<Uint8Array | undefined> {
  const loaded = await loadConversationState(db, conversationId);
  if (!loaded) return undefined;
  const doc = new Y.Doc();
  try {
    if (loaded.update) Y.applyUpdate(doc, loaded.update);
    const text = doc.getText(DocumentFields.title);
    let rename: Uint8Array | undefined;
    doc.once('update', (update: Uint8Array) => (rename = update));
    doc.transact(() => {
      text.delete(0, text.length);
      text.insert(0, title);
    });
    return rename;
  } finally {
    doc.destroy();
  }
}
