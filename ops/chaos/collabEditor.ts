import * as Y from 'yjs';
import type { TestProvider } from '../../test/collab.ts';

export interface CollabEditor {
  /** Markers of the paragraphs the server acknowledged as saved (the provider had nothing unsynced after them). */
  acknowledged(): string[];
  /** Every marker written so far, acknowledged or not. */
  written: string[];
  /** Stops writing (what is in flight stays in flight). */
  stop(): void;
}

/**
 * Adds a paragraph to a conversation's draft every `intervalMs`, as a typist would, through a real
 * provider. An edit counts as acknowledged once the provider has no unsynced change left after it: the
 * server acknowledges only what its update log committed, so each of those must be in PostgreSQL.
 */
export function startCollabEditor(connection: TestProvider, label: string, intervalMs = 50): CollabEditor {
  const written: string[] = [];
  let acknowledgedCount = 0;
  let isStopped = false;
  const timer = setInterval(() => {
    if (isStopped) return;
    // Sampled in one turn of the event loop: everything written before this check is covered by it.
    if (connection.provider.unsyncedChanges === 0) acknowledgedCount = written.length;
    const marker = `${label}-${written.length + 1}`;
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(marker)]);
    connection.doc.getXmlFragment('draft').push([paragraph]);
    written.push(marker);
  }, intervalMs);
  return {
    written,
    acknowledged: () => {
      if (connection.provider.unsyncedChanges === 0) acknowledgedCount = written.length;
      return written.slice(0, acknowledgedCount);
    },
    stop: () => {
      isStopped = true;
      clearInterval(timer);
    },
  };
}

/** The markers of every paragraph in a draft. */
export function paragraphMarkers(doc: Y.Doc): Set<string> {
  return new Set(
    doc
      .getXmlFragment('draft')
      .toArray()
      .map((node) =>
        (node as Y.XmlElement)
          .toArray()
          .map((text) => String((text as Y.XmlText).toString()))
          .join(''),
      ),
  );
}
