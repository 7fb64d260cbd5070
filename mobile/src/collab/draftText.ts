import * as Y from 'yjs';

/**
 * The shared draft on a phone. On the web it is a TipTap document (`draft`, a Y.XmlFragment of
 * ProseMirror blocks); the app has no rich-text editor, so it shows the draft as plain text — one line
 * per block, as the server reads it (shared/documents/conversationDraft.ts › draftTextOf) — and turns
 * each change of the text box into the smallest Yjs edit it can, so a web editor's caret and the other
 * lines' formatting survive someone typing on a phone.
 */

/** The node TipTap's starter kit uses for a paragraph. */
const PARAGRAPH = 'paragraph';

/** The draft as plain text: one line per block, marks dropped. */
export function draftTextOf(fragment: Y.XmlFragment): string {
  return fragment
    .toArray()
    .map((node) => plainText(node))
    .join('\n');
}

function plainText(node: Y.XmlElement | Y.XmlText | Y.XmlHook): string {
  if (node instanceof Y.XmlText) {
    return (node.toDelta() as Array<{ insert?: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
  }
  if (!(node instanceof Y.XmlElement)) return '';
  const children = node.toArray();
  const separator = children.some((child) => child instanceof Y.XmlElement) ? '\n' : '';
  return children.map((child) => plainText(child)).join(separator);
}

/**
 * Makes the draft read `next`. An edit inside one plain paragraph (the usual keystroke) becomes an
 * insert/delete in that paragraph's text; anything wider — a new line, a paste across lines, a block
 * that is not a plain paragraph — rewrites the draft as plain paragraphs, which drops formatting.
 */
export function setDraftText(fragment: Y.XmlFragment, next: string, origin?: unknown): void {
  const current = draftTextOf(fragment);
  if (current === next) return;
  const doc = fragment.doc;
  const apply = () => {
    if (!editOneParagraph(fragment, current, next)) rewrite(fragment, next);
  };
  if (doc) doc.transact(apply, origin);
  else apply();
}

/** The changed span between two strings: where it starts, what it removes, what it inserts. */
export function changedSpan(before: string, after: string): { start: number; removed: number; inserted: string } {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) {
    end += 1;
  }
  return { start, removed: before.length - start - end, inserted: after.slice(start, after.length - end) };
}

function editOneParagraph(fragment: Y.XmlFragment, current: string, next: string): boolean {
  const { start, removed, inserted } = changedSpan(current, next);
  if (inserted.includes('\n') || current.slice(start, start + removed).includes('\n')) return false;
  // Which top-level block holds `start`, and where in it: every block is one line when all are plain paragraphs.
  const blocks = fragment.toArray();
  if (!blocks.every(isPlainParagraph)) return false;
  let offset = start;
  for (const block of blocks as Y.XmlElement[]) {
    const text = block.toArray()[0] as Y.XmlText | undefined;
    const length = text?.length ?? 0;
    if (offset <= length) {
      const target = text ?? insertText(block);
      if (removed > 0) target.delete(offset, removed);
      if (inserted) target.insert(offset, inserted);
      return true;
    }
    offset -= length + 1;
  }
  return false;
}

function isPlainParagraph(node: Y.XmlElement | Y.XmlText | Y.XmlHook): boolean {
  if (!(node instanceof Y.XmlElement) || node.nodeName !== PARAGRAPH) return false;
  const children = node.toArray();
  return children.length === 0 || (children.length === 1 && children[0] instanceof Y.XmlText);
}

function insertText(paragraph: Y.XmlElement): Y.XmlText {
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  return text;
}

function rewrite(fragment: Y.XmlFragment, next: string): void {
  fragment.delete(0, fragment.length);
  if (next === '') return;
  fragment.insert(
    0,
    next.split('\n').map((line) => {
      const paragraph = new Y.XmlElement(PARAGRAPH);
      if (line) paragraph.insert(0, [new Y.XmlText(line)]);
      return paragraph;
    }),
  );
}
