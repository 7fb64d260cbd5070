import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex } from 'knex';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { bearer, createConversationDocument, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, documentInDatabase, startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';

describe('collab update log', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;

  beforeAll(async () => {
    // A long commit interval makes the group commit visible; stores are kept out of the way.
    t = await startTestApp({
      env: { COLLAB_LOG_COMMIT_INTERVAL_MS: '300', COLLAB_STORE_DEBOUNCE_MS: '60000', COLLAB_STORE_MAX_DEBOUNCE_MS: '120000' },
    });
    collab = await startTestCollab(t);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  const newDocument = () => createConversationDocument(t, owner);
  const logRows = (conversationId: string) =>
    t.services.db('conversation_updates').where({ conversation_id: conversationId }).orderBy('id').select('id');

  /** Holds an exclusive lock on the update log, so every commit waits until `release`. */
  async function lockTheLog(): Promise<{ release(): Promise<void> }> {
    const trx: Knex.Transaction = await t.services.db.transaction();
    await trx.raw('lock table conversation_updates in access exclusive mode');
    return { release: () => trx.rollback().then(() => undefined) };
  }

  it("delivers a typist's edits to the others while the log cannot commit, and acknowledges them once it can", async () => {
    const { id, name } = await newDocument();
    const typist = collab.connect(name, owner.accessToken);
    const reader = collab.connect(name, owner.accessToken);
    await Promise.all([typist.synced, reader.synced]);
    const lock = await lockTheLog();
    try {
      for (const word of ['one', ' two', ' three']) {
        typist.doc.getText('title').insert(typist.doc.getText('title').length, word);
        // Each keystroke reaches the reader even though the one before it is not yet on disk.
        await waitFor(`"${word}" to reach the reader`, () => reader.doc.getText('title').toString().endsWith(word));
      }
      expect(typist.provider.unsyncedChanges).toBeGreaterThan(0);
    } finally {
      await lock.release();
    }
    await acknowledged(typist.provider);
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('one two three');
  });

  it('closes only a deleted conversation’s connections when its edits can no longer be logged', async () => {
    const [gone, kept] = await Promise.all([newDocument(), newDocument()]);
    const [doomed, other] = [collab.connect(gone.name, owner.accessToken), collab.connect(kept.name, owner.accessToken)];
    await Promise.all([doomed.synced, other.synced]);
    // Deleted behind the collab server's back: no bus event, only the failing foreign key tells.
    await t.services.db('conversations').where({ id: gone.id }).delete();
    // A commit now, so the next two edits wait for the next one together.
    other.doc.getText('title').insert(0, 'kept');
    await acknowledged(other.provider);
    doomed.doc.getText('title').insert(0, 'moot');
    other.doc.getText('title').insert(4, ' and acknowledged');

    await waitFor('the deleted conversation’s client to be closed', () => doomed.closes.includes('conversation_deleted'), 3_000);
    await acknowledged(other.provider);
    expect(other.closes).toEqual([]);
    expect((await documentInDatabase(t.services.db, kept.id)).getText('title').toString()).toBe('kept and acknowledged');
  });

  it('commits edits from several people on several documents together', async () => {
    const documents = await Promise.all([newDocument(), newDocument()]);
    const writers = documents.flatMap(({ name }) => [collab.connect(name, owner.accessToken), collab.connect(name, owner.accessToken)]);
    await Promise.all(writers.map((w) => w.synced));
    const commitsBefore = await commits();
    // Everything typed within one commit interval.
    for (const [index, writer] of writers.entries()) writer.doc.getText('title').insert(0, `w${index} `);
    writers[0]!.doc.getText('title').insert(0, 'again ');
    await Promise.all(writers.map((w) => acknowledged(w.provider)));
    expect(await commits()).toBeLessThanOrEqual(commitsBefore + 2);
    for (const { id } of documents) {
      expect((await logRows(id)).length).toBeGreaterThanOrEqual(2);
      const title = (await documentInDatabase(t.services.db, id)).getText('title').toString();
      expect(title.split(' ').filter(Boolean).sort()).toEqual(id === documents[0].id ? ['again', 'w0', 'w1'] : ['w2', 'w3']);
    }
  });

  it('logs what reaches a document through the REST API too', async () => {
    const { id, name } = await newDocument();
    const reader = collab.connect(name, owner.accessToken);
    await reader.synced;
    const res = await t.request
      .post(`/api/conversations/${id}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'Posted over HTTP' });
    expect(res.status).toBe(201);
    await waitFor('the message to appear in the document', () => reader.doc.getArray('messages').length === 1);
    // Nobody acknowledges it, so wait for the commit interval to pass.
    const deadline = Date.now() + 5_000;
    while ((await logRows(id)).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const logged = await documentInDatabase(t.services.db, id);
    expect(logged.getArray('messages').length).toBe(1);
  });

  async function commits(): Promise<number> {
    const text = await (await fetch(`${collab.httpUrl}/metrics`)).text();
    return Number(/collab_update_log_commits_total\{server="collab-server"\} (\d+)/.exec(text)?.[1] ?? 0);
  }
});
