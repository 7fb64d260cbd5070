import * as Y from 'yjs';
import type { HocuspocusProvider } from '@hocuspocus/provider';

/** One edit the server acknowledged, and when (ms epoch). */
export interface AcknowledgedEdit {
  marker: string;
  at: number;
}

export interface CollabTypist {
  /** Every marker typed so far, acknowledged or not, in order. */
  written: string[];
  /** The edits the server acknowledged, in order. */
  acknowledged: AcknowledgedEdit[];
  /** Settles when the typist stops: after `edits` edits, after stop(), or (rejecting) when an edit is not acknowledged in time. */
  done: Promise<void>;
  /** Types nothing more; the edit in flight is still waited for. Resolves with `done`. */
  stop(): Promise<void>;
}

/** Adds a paragraph holding `marker` to the draft, as a TipTap editor would. */
export function writeParagraph(doc: Y.Doc, marker: string): void {
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(marker)]);
  doc.getXmlFragment('draft').push([paragraph]);
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

/**
 * Types into a draft as a person would, through a real provider: one paragraph (`<label>-<n>`), then waits
 * until the server acknowledged it (the provider has no unsynced change left), then pauses `pauseMs`, and
 * again. The server acknowledges only what its update log committed, so every acknowledged marker must be
 * in PostgreSQL; a test compares `acknowledged` with what it finds there.
 */
export function startTypist(
  provider: Pick<HocuspocusProvider, 'unsyncedChanges'>,
  doc: Y.Doc,
  label: string,
  options: { edits?: number; pauseMs?: number; ackTimeoutMs?: number } = {},
): CollabTypist {
  const { edits = Infinity, pauseMs = 50, ackTimeoutMs = 60_000 } = options;
  const written: string[] = [];
  const acknowledgedEdits: AcknowledgedEdit[] = [];
  let isStopping = false;
  const done = (async () => {
    while (!isStopping && written.length < edits) {
      const marker = `${label}-${written.length + 1}`;
      writeParagraph(doc, marker);
      written.push(marker);
      const deadline = Date.now() + ackTimeoutMs;
      while (provider.unsyncedChanges > 0) {
        if (Date.now() > deadline) throw new Error(`typist ${label}: ${marker} not acknowledged within ${ackTimeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      acknowledgedEdits.push({ marker, at: Date.now() });
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  // A rejection is reported through `done` or stop(); this keeps it from being unhandled meanwhile.
  done.catch(() => {});
  return {
    written,
    acknowledged: acknowledgedEdits,
    done,
    stop: async () => {
      isStopping = true;
      await done;
    },
  };
}
