import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createDb } from '@shared/db.ts';
import { startDatabaseGate } from '../../test/databaseGate.ts';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { createConversation, createConversationDocument, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, documentInDatabase, startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';

describe('collab persistence', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { COLLAB_STORE_DEBOUNCE_MS: '150', COLLAB_STORE_MAX_DEBOUNCE_MS: '600' } });
    collab = await startTestCollab(t);
    owner = await registerUser(t);
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  const newDocument = () => createConversationDocument(t, owner);
  const logRows = async (conversationId: string) =>
    Number((await t.services.db('conversation_updates').where({ conversation_id: conversationId }).count({ n: '*' }))[0]!.n);
  const storedState = (conversationId: string) => t.services.db('conversation_states').where({ conversation_id: conversationId }).first();

  it('has an acknowledged edit in PostgreSQL before anything is stored', async () => {
    const { id, name } = await newDocument();
    const writer = collab.connect(name, owner.accessToken);
    await writer.synced;
    writer.doc.getText('title').insert(0, 'Quarterly plan');
    await acknowledged(writer.provider);
    // The store is debounced; the update log is what holds the edit at the moment it is acknowledged.
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('Quarterly plan');
    expect(await logRows(id)).toBeGreaterThan(0);
  });

  it('stores the document while people keep editing and folds the update log into it', async () => {
    const { id, name } = await newDocument();
    const writer = collab.connect(name, owner.accessToken);
    await writer.synced;
    for (const word of ['one ', 'two ', 'three ']) {
      writer.doc.getText('title').insert(writer.doc.getText('title').length, word);
      await acknowledged(writer.provider);
    }
    const deadline = Date.now() + 5_000;
    while ((await logRows(id)) > 0 || !(await storedState(id))) {
      if (Date.now() > deadline) throw new Error('the update log was never compacted');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(collab.server.hocuspocus.documents.has(name)).toBe(true);
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('one two three ');
  });

  it('gives a later visitor the text after everyone has left and the document was unloaded', async () => {
    const { id, name } = await newDocument();
    const writer = collab.connect(name, owner.accessToken);
    await writer.synced;
    writer.doc.getText('title').insert(0, 'Kept across visits');
    await acknowledged(writer.provider);
    writer.destroy();
    await waitFor('the document to unload', () => !collab.server.hocuspocus.documents.has(name));
    expect(await storedState(id)).toBeDefined();
    expect(await logRows(id)).toBe(0);

    const visitor = collab.connect(name, owner.accessToken);
    await visitor.synced;
    expect(visitor.doc.getText('title').toString()).toBe('Kept across visits');
  });

  it('stores a compact state: a large paste that was deleted again leaves no trace of its size', async () => {
    const { id, name } = await newDocument();
    const writer = collab.connect(name, owner.accessToken);
    await writer.synced;
    const text = writer.doc.getText('title');
    text.insert(0, 'x'.repeat(200_000));
    await acknowledged(writer.provider);
    text.delete(0, text.length);
    text.insert(0, 'short');
    await acknowledged(writer.provider);
    writer.destroy();
    await waitFor('the document to unload', () => !collab.server.hocuspocus.documents.has(name));
    const row = await storedState(id);
    expect(row.state.byteLength).toBeLessThan(1_000);
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('short');
  });

  it('stores every open document when the server shuts down, before the next store was due', async () => {
    const patient = await startTestCollab({
      services: {
        ...t.services,
        config: { ...t.services.config, COLLAB_STORE_DEBOUNCE_MS: 60_000, COLLAB_STORE_MAX_DEBOUNCE_MS: 120_000 },
      },
    });
    const documents = await Promise.all([newDocument(), newDocument()]);
    for (const [index, { name }] of documents.entries()) {
      const writer = patient.connect(name, owner.accessToken);
      await writer.synced;
      writer.doc.getText('title').insert(0, `Open document ${index}`);
      await acknowledged(writer.provider);
    }
    await patient.close();
    for (const [index, { id }] of documents.entries()) {
      expect(await storedState(id)).toBeDefined();
      expect(await logRows(id)).toBe(0);
      expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe(`Open document ${index}`);
    }
  });

  it('does not acknowledge an edit it could not log, and takes it once the database is back', async () => {
    const { id, name } = await newDocument();
    const writer = collab.connect(name, owner.accessToken, { reconnectDelay: 300 });
    await writer.synced;
    await t.services.db.raw('alter table conversation_updates rename to conversation_updates_away');
    try {
      writer.doc.getText('title').insert(0, 'Saved after all');
      await waitFor('the connection to close', () => writer.closes.includes('storage_unavailable'));
      expect(writer.provider.unsyncedChanges).toBeGreaterThan(0);
    } finally {
      await t.services.db.raw('alter table conversation_updates_away rename to conversation_updates');
    }
    await acknowledged(writer.provider, 10_000);
    expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('Saved after all');
  });

  it('counts logged edits and stored documents in the metrics', async () => {
    const text = await (await fetch(`${collab.httpUrl}/metrics`)).text();
    expect(text).toMatch(/collab_updates_logged_total\{server="collab-server"\} [1-9]/);
    expect(text).toMatch(/collab_documents_stored_total\{outcome="stored",server="collab-server"\} [1-9]/);
    expect(text).toMatch(/collab_updates_compacted_total\{server="collab-server"\} [1-9]/);
  });

  it('keeps edits the same way on the embedded database (PGlite) that npm start uses', async () => {
    const embedded = await startTestApp({ backend: 'pglite' });
    const node = await startTestCollab(embedded);
    try {
      const user = await registerUser(embedded);
      const { id } = await createConversation(embedded, user);
      const name = `conversation:${id}`;
      const writer = node.connect(name, user.accessToken);
      await writer.synced;
      writer.doc.getText('title').insert(0, 'Embedded');
      await acknowledged(writer.provider);
      expect((await documentInDatabase(embedded.services.db, id)).getText('title').toString()).toBe('Embedded');
      writer.destroy();
      await waitFor('the document to unload', () => !node.server.hocuspocus.documents.has(name));
      expect(await embedded.services.db('conversation_states').where({ conversation_id: id }).first()).toBeDefined();
      const reader = node.connect(name, user.accessToken);
      await reader.synced;
      expect(reader.doc.getText('title').toString()).toBe('Embedded');
    } finally {
      await node.close();
      await embedded.close();
    }
  });
});

/**
 * Hocuspocus never stores again a document whose store failed: with nobody editing, it stayed loaded for
 * good, and the server's shutdown (which waits for every document to unload) with it.
 */
describe('collab persistence through a database failover', () => {
  it('stores a document whose store met the database gone once it answers again, so it unloads and the server closes', async () => {
    const app = await startTestApp({ env: { COLLAB_STORE_DEBOUNCE_MS: '150', COLLAB_STORE_MAX_DEBOUNCE_MS: '600' } });
    const gate = await startDatabaseGate(app.services.config.DATABASE_URL!, { isOpen: true });
    const gatedDb = createDb(
      { ...app.services.config, DATABASE_URL: gate.through(app.services.config.DATABASE_URL!) },
      { log: app.services.log },
    );
    const node = await startTestCollab({ services: { ...app.services, db: gatedDb } });
    try {
      const owner = await registerUser(app);
      const { id, name } = await createConversationDocument(app, owner);
      const writer = node.connect(name, owner.accessToken);
      await writer.synced;
      writer.doc.getText('title').insert(0, 'Written before the failover');
      await acknowledged(writer.provider);
      // The writer leaves; its store (150 ms later) meets the database gone, and tries again.
      const attemptsBefore = gate.attempts;
      gate.shut();
      writer.destroy();
      await waitFor('the store to try twice through the shut gate', () => gate.attempts >= attemptsBefore + 2, 10_000);
      gate.open();

      await waitFor('the document to unload', () => !node.server.hocuspocus.documents.has(name), 20_000);
      const stored = await app.services.db('conversation_states').where({ conversation_id: id }).first();
      expect(stored).toBeDefined();
      expect((await documentInDatabase(app.services.db, id)).getText('title').toString()).toBe('Written before the failover');
    } finally {
      await node.close();
      await gatedDb.destroy();
      await gate.close();
      await app.close();
    }
  }, 60_000);
});

/**
 * A store that fails for good (here a trigger refuses every write of the stored state, as a full disk or a
 * broken constraint would) while nobody is editing: Hocuspocus alone would keep the document loaded,
 * unstored, for good, and the shutdown waiting on it.
 */
describe('collab persistence when a store keeps failing', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { COLLAB_STORE_DEBOUNCE_MS: '150', COLLAB_STORE_MAX_DEBOUNCE_MS: '600' } });
    owner = await registerUser(t);
    // A sequence counts the refused stores: unlike a row, its value survives the refusal's rollback.
    await t.services.db.raw(`
      create sequence refused_stores;
      create function refuse_stores() returns trigger language plpgsql as $$
        begin perform nextval('refused_stores'); raise exception 'the store is refused'; end $$`);
  });
  afterEach(async () => {
    await t.services.db.raw('drop trigger if exists refuse_stores on conversation_states');
  });
  afterAll(async () => {
    await t?.close();
  });

  const refuseStores = () =>
    t.services.db.raw(
      'create trigger refuse_stores before insert or update on conversation_states for each row execute function refuse_stores()',
    );
  const acceptStores = () => t.services.db.raw('drop trigger refuse_stores on conversation_states');
  const refusedStores = async () =>
    Number(
      (
        await t.services.db.raw<{ rows: Array<{ n: string }> }>(
          'select case when is_called then last_value else 0 end as n from refused_stores',
        )
      ).rows[0]!.n,
    );
  const refusalsReach = async (count: number) => {
    const deadline = Date.now() + 20_000;
    while ((await refusedStores()) < count) {
      if (Date.now() > deadline) throw new Error(`only ${await refusedStores()} stores were tried, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** A writer edits `text`, is acknowledged, and leaves once stores are refused: its store will be refused. */
  const writeThenLeaveWhileStoresRefused = async (node: TestCollab, text: string) => {
    const { id, name } = await createConversationDocument(t, owner);
    const writer = node.connect(name, owner.accessToken);
    await writer.synced;
    writer.doc.getText('title').insert(0, text);
    await acknowledged(writer.provider);
    await refuseStores();
    const refusedBefore = await refusedStores();
    writer.destroy();
    return { id, name, refusedBefore };
  };

  it('tries the store again with no new edit until it succeeds, then unloads the document', async () => {
    const node = await startTestCollab(t);
    try {
      const { id, name, refusedBefore } = await writeThenLeaveWhileStoresRefused(node, 'Kept through refused stores');
      // The writer's store is refused, then tried again (and refused) with nobody editing.
      await refusalsReach(refusedBefore + 2);
      expect(node.server.hocuspocus.documents.has(name)).toBe(true);
      expect(await t.services.db('conversation_states').where({ conversation_id: id }).first()).toBeUndefined();

      await acceptStores();
      await waitFor('the document to be stored and unload', () => !node.server.hocuspocus.documents.has(name), 20_000);
      const stored = await t.services.db('conversation_states').where({ conversation_id: id }).first();
      expect(stored).toBeDefined();
      expect(await t.services.db('conversation_updates').where({ conversation_id: id }).first()).toBeUndefined();
      expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('Kept through refused stores');
    } finally {
      await node.close();
    }
  }, 60_000);

  it('closes while stores are refused: the document unloads, and its edits wait in the update log', async () => {
    const node = await startTestCollab(t);
    let isClosed = false;
    try {
      const { id, name, refusedBefore } = await writeThenLeaveWhileStoresRefused(node, 'Written before the shutdown');
      await refusalsReach(refusedBefore + 1);

      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the server did not close')), 20_000)));
      await Promise.race([node.close(), stuck]).finally(() => clearTimeout(timer));
      isClosed = true;
      expect(node.server.hocuspocus.documents.has(name)).toBe(false);
      expect(await t.services.db('conversation_states').where({ conversation_id: id }).first()).toBeUndefined();
      expect((await documentInDatabase(t.services.db, id)).getText('title').toString()).toBe('Written before the shutdown');
    } finally {
      if (!isClosed) await node.close();
    }
  }, 60_000);
});
