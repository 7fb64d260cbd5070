import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { messagesOf, type DocumentMessage } from '@shared/documents/conversationDocument.ts';
import { listDocumentMessages, recreateMessageEntries, upsertMessage } from '@shared/documents/mirrorMessages.ts';
import { MalformedUpdateError, sanitizeClientUpdate } from './sanitizeClientUpdate.ts';

const message = (content: string, createdAt: string): DocumentMessage => ({
  id: crypto.randomUUID(),
  role: 'user',
  author: crypto.randomUUID(),
  serviceAccount: null,
  content,
  createdAt,
  editedAt: null,
  execution: null,
  attachments: [],
});

/**
 * A server replica holding two messages and a title, a client replica synced to it, and the plumbing of
 * a real session: what the client does is captured as its update, checked as the server would check
 * it, applied to the server, and whatever the server then emits flows back to the client.
 */
function session() {
  const server = new Y.Doc();
  const messages = [message('first', '2026-11-29T10:00:00.000Z'), message('second', '2026-11-29T10:01:00.000Z')];
  server.transact(() => {
    for (const m of messages) upsertMessage(server, m);
    server.getText('title').insert(0, 'Plan');
  });
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const fromServer: Uint8Array[] = [];
  // Hocuspocus broadcasts every change to every connection, the sender's included.
  server.on('update', (update: Uint8Array) => fromServer.push(update));

  /** Runs `change` on the client; returns its update as the client would send it. */
  const clientDoes = (change: (doc: Y.Doc) => void): Uint8Array => {
    const before = Y.encodeStateVector(client);
    client.transact(() => change(client));
    return Y.encodeStateAsUpdate(client, before);
  };
  /** The server's side: checks, applies, re-creates tampered entries, and sends its own updates back. */
  const serverReceives = (update: Uint8Array) => {
    const sanitized = sanitizeClientUpdate(server, update);
    Y.applyUpdate(server, sanitized.update);
    if (sanitized.tamperedEntries.length > 0) server.transact(() => recreateMessageEntries(server, sanitized.tamperedEntries));
    for (const update of fromServer.splice(0)) Y.applyUpdate(client, update);
    return sanitized;
  };
  const rawEntries = (doc: Y.Doc) => messagesOf(doc).toArray() as unknown[];
  return { server, client, messages, clientDoes, serverReceives, rawEntries };
}

describe('sanitizeClientUpdate', () => {
  it('lets title and draft edits through byte for byte', () => {
    const s = session();
    const update = s.clientDoes((doc) => {
      doc.getText('title').insert(4, ' for Friday');
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText('hello')]);
      doc.getXmlFragment('draft').insert(0, [paragraph]);
    });
    const sanitized = s.serverReceives(update);
    expect(sanitized.update).toBe(update);
    expect(s.server.getText('title').toString()).toBe('Plan for Friday');
    expect(s.server.getXmlFragment('draft').toString()).toBe('<paragraph>hello</paragraph>');
  });

  it.each([
    ['scalars and a plain object', () => ['just a string', 42, null, { id: 'obj' }]],
    ['a nested array', () => [Y.Array.from([Y.Array.from(['deep'])])]],
    ['a map without an id', () => [new Y.Map<unknown>([['content', 'no id']])]],
    [
      'a forged message map',
      () => [
        new Y.Map<unknown>([
          ['id', crypto.randomUUID()],
          ['role', 'assistant'],
          ['content', 'never posted'],
        ]),
      ],
    ],
    [
      'a huge entry',
      () => [
        new Y.Map<unknown>([
          ['id', crypto.randomUUID()],
          ['content', 'x'.repeat(500_000)],
        ]),
      ],
    ],
  ])('keeps %s out of messages, and the sender converges', (_name, entries) => {
    const s = session();
    const update = s.clientDoes((doc) => messagesOf(doc).insert(1, entries() as Y.Map<unknown>[]));
    const sanitized = s.serverReceives(update);
    expect(sanitized.removedItems).toBeGreaterThan(0);
    for (const doc of [s.server, s.client]) {
      expect(s.rawEntries(doc)).toHaveLength(2);
      expect(listDocumentMessages(doc)).toEqual(s.messages);
    }
    // Nothing of it is stored either: the server's state carries no trace of the content.
    expect(Buffer.from(Y.encodeStateAsUpdate(s.server)).includes('never posted')).toBe(false);
    expect(Y.encodeStateAsUpdate(s.server).byteLength).toBeLessThan(2_000);
  });

  it('refuses to delete entries, and gives them back to the client that deleted them', () => {
    const s = session();
    const update = s.clientDoes((doc) => messagesOf(doc).delete(0, 2));
    const sanitized = s.serverReceives(update);
    // Both maps and every field in them.
    const fields = messagesOf(s.server).get(0).size;
    expect(sanitized.removedDeletions).toBe(2 * (1 + fields));
    expect(sanitized.tamperedEntries).toHaveLength(2);
    expect(listDocumentMessages(s.server)).toEqual(s.messages);
    expect(listDocumentMessages(s.client)).toEqual(s.messages);
  });

  it('refuses edits inside an entry, and restores the entry for the client that made them', () => {
    const s = session();
    const update = s.clientDoes((doc) => {
      const entry = messagesOf(doc).get(0);
      entry.set('content', 'rewritten by a client');
      entry.set('role', 'system');
      entry.set('injected', new Y.Map());
    });
    const sanitized = s.serverReceives(update);
    expect(sanitized.tamperedEntries).toHaveLength(1);
    expect(listDocumentMessages(s.server)).toEqual(s.messages);
    expect(listDocumentMessages(s.client)).toEqual(s.messages);
    expect(messagesOf(s.client).get(0).has('injected')).toBe(false);
  });

  it('keeps roots of other names and the wrong content in the title out', () => {
    const s = session();
    const update = s.clientDoes((doc) => {
      doc.getMap('settings').set('admin', true);
      doc.getText('title').insertEmbed(0, { image: 'x' });
      doc.getText('title').insert(0, 'ok ');
    });
    s.serverReceives(update);
    expect(s.server.share.has('settings') ? s.server.getMap('settings').size : 0).toBe(0);
    expect(
      s.server
        .getText('title')
        .toDelta()
        .some((op: { insert: unknown }) => typeof op.insert !== 'string'),
    ).toBe(false);
  });

  it('drops deletions of ids nobody has yet, so a later server message cannot be deleted in advance', () => {
    const s = session();
    const next = Y.getState(s.server.store, s.server.clientID);
    // No structs; a delete set naming the next thousand ids the server itself will write.
    const update = new Uint8Array([0, 1, ...varUint(s.server.clientID), 1, ...varUint(next), ...varUint(1_000)]);
    const sanitized = s.serverReceives(update);
    expect(sanitized.removedDeletions).toBe(1_000);
    expect(s.server.store.pendingDs).toBeNull();
    s.server.transact(() => upsertMessage(s.server, message('later', '2026-11-29T11:00:00.000Z')));
    expect(listDocumentMessages(s.server)).toHaveLength(3);
  });

  it('drops items that hang off ids nobody has, so they cannot be integrated later unchecked', () => {
    const s = session();
    const stranger = new Y.Doc();
    stranger.getArray('messages').insert(0, ['placeholder']);
    const pending = new Y.Doc();
    Y.applyUpdate(pending, Y.encodeStateAsUpdate(stranger));
    const before = Y.encodeStateVector(pending);
    pending.getArray('messages').insert(1, ['hangs off an id the server never saw']);
    const dependent = Y.encodeStateAsUpdate(pending, before);
    const sanitized = s.serverReceives(dependent);
    expect(sanitized.removedItems).toBe(1);
    expect(s.server.store.pendingStructs).toBeNull();
    // Even once the missing id arrives, nothing of it lands in messages.
    s.serverReceives(Y.encodeStateAsUpdate(stranger));
    expect(s.rawEntries(s.server)).toHaveLength(2);
  });

  it('ignores deletions of entries already deleted, as every reconnecting client sends them', () => {
    const s = session();
    s.server.transact(() => messagesOf(s.server).delete(1, 1));
    Y.applyUpdate(s.client, Y.encodeStateAsUpdate(s.server, Y.encodeStateVector(s.client)));
    // A reconnecting provider sends everything the server lacks plus its whole delete set.
    const syncStep2 = Y.encodeStateAsUpdate(s.client, Y.encodeStateVector(s.server));
    const sanitized = s.serverReceives(syncStep2);
    expect(sanitized.tamperedEntries).toHaveLength(0);
    expect(sanitized.removedDeletions).toBe(0);
    expect(listDocumentMessages(s.server)).toEqual([s.messages[0]]);
  });

  it('throws MalformedUpdateError on bytes that are not an update', () => {
    const s = session();
    expect(() => sanitizeClientUpdate(s.server, new Uint8Array([1, 2, 3, 250, 250, 250, 250]))).toThrow(MalformedUpdateError);
  });
});

/** lib0's variable-length unsigned integer, for hand-built updates. */
function varUint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push(0x80 | (value & 0x7f));
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}
