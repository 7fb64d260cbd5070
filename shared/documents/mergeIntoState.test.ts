import { describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { mergeIntoState } from './mergeIntoState.ts';

const typed = (text: string, from?: Y.Doc) => {
  const doc = new Y.Doc();
  if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
  const before = Y.encodeStateVector(doc);
  doc.getText('title').insert(doc.getText('title').length, text);
  return { doc, update: Y.encodeStateAsUpdate(doc, before) };
};
const textOf = (update: Uint8Array) => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc.getText('title').toString();
};

describe('mergeIntoState', () => {
  it('merges a state and the edits after it into one update that holds them all', async () => {
    const first = typed('Quarterly ');
    const second = typed('plan', first.doc);
    const merged = await mergeIntoState([first.update, second.update]);
    expect(textOf(merged.update)).toBe('Quarterly plan');
    expect(merged.skipped).toBe(0);
  });

  it('leaves out parts that do not decode, whole, and keeps the rest', async () => {
    const first = typed('kept');
    const broken = typed(' lost', first.doc).update;
    const merged = await mergeIntoState([
      first.update,
      new Uint8Array([255, 255, 255, 255]),
      broken.slice(0, Math.floor(broken.length / 2)),
    ]);
    expect(textOf(merged.update)).toBe('kept');
    expect(merged.skipped).toBe(2);
  });

  it('holds no history: text typed and deleted again leaves nothing of its size', async () => {
    const doc = new Y.Doc();
    const parts: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => parts.push(update));
    doc.getText('title').insert(0, 'x'.repeat(50_000));
    doc.getText('title').delete(0, 50_000);
    doc.getText('title').insert(0, 'short');
    const merged = await mergeIntoState(parts);
    expect(textOf(merged.update)).toBe('short');
    expect(merged.update.byteLength).toBeLessThan(1_000);
  });

  it('lets the event loop turn while it merges a long log, and merges it all', async () => {
    const doc = new Y.Doc();
    const parts: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => parts.push(update));
    for (let i = 0; i < 2_000; i++) doc.getText('title').insert(i, String(i % 10));
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 0);
    const merged = await mergeIntoState(parts);
    clearInterval(ticking);
    expect(textOf(merged.update)).toBe(doc.getText('title').toString());
    // Other work ran in between (a timer fires only once the event loop gets to it).
    expect(turns).toBeGreaterThan(0);
  });
});
