import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { acknowledged, startTestCollab, waitFor, type TestCollab } from '../../test/collab.ts';

/** The few pieces of the Hocuspocus wire format a hand-made client needs (lib0 varUint / varString). */
const varUint = (value: number): number[] => {
  const bytes: number[] = [];
  while (value > 127) {
    bytes.push((value & 127) | 128);
    value = Math.floor(value / 128);
  }
  return [...bytes, value];
};
const varBytes = (bytes: Uint8Array): number[] => [...varUint(bytes.length), ...bytes];
const varString = (text: string): number[] => varBytes(Buffer.from(text));
const AUTH = 2;
const SYNC = 0;
const SYNC_UPDATE = 2;
const CLOSE = 7;

/** A raw WebSocket client speaking just enough of the protocol to authenticate and then misbehave. */
async function rawClient(url: string) {
  const socket = new WebSocket(url);
  const frames: Buffer[] = [];
  socket.on('message', (data: Buffer) => frames.push(data));
  const closed = once(socket, 'close').then(([code]) => code as number);
  await once(socket, 'open');
  return {
    socket,
    closed,
    send: (bytes: number[] | Buffer) => socket.send(Buffer.from(bytes)),
    /** The close reasons the server sent in Hocuspocus close messages. */
    closeReasons: () =>
      frames.flatMap((frame) => {
        const nameLength = frame[0]!;
        return frame[1 + nameLength] === CLOSE ? [frame.subarray(3 + nameLength).toString()] : [];
      }),
    authenticated: () => frames.length > 0,
  };
}

describe('collab limits', () => {
  let t: TestApp;
  let collab: TestCollab;
  let owner: TestUser;
  let name: string;

  beforeAll(async () => {
    t = await startTestApp({
      env: { COLLAB_MAX_MESSAGE_BYTES: '65536', COLLAB_MAX_DOCUMENT_BYTES: '32768', COLLAB_MAX_CONNECTIONS_PER_USER: '3' },
    });
    collab = await startTestCollab(t);
    owner = await registerUser(t);
    name = `conversation:${(await createConversation(t, owner)).id}`;
  });
  afterAll(async () => {
    await collab?.close();
    await t?.close();
  });

  /** A provider that keeps working is the proof the node still serves everyone else. */
  async function expectStillServing(text: string) {
    const witness = collab.connect(name, owner.accessToken);
    await witness.synced;
    witness.doc.getText('title').insert(0, text);
    await acknowledged(witness.provider);
    witness.destroy();
  }

  it('refuses a user’s connection past the limit with too_many_connections, and accepts again once one closes', async () => {
    const user = await registerUser(t);
    const own = `conversation:${(await createConversation(t, user)).id}`;
    const open = [collab.connect(own, user.accessToken), collab.connect(own, user.accessToken), collab.connect(own, user.accessToken)];
    await Promise.all(open.map((client) => client.synced));
    await expect(collab.connect(own, user.accessToken).outcome).resolves.toEqual({ status: 'refused', reason: 'too_many_connections' });

    open[0]!.destroy();
    await waitFor(
      'the server to drop the closed connection',
      () => collab.server.hocuspocus.documents.get(own)!.getConnectionsCount() === 2,
    );
    await expect(collab.connect(own, user.accessToken).outcome).resolves.toEqual({ status: 'authenticated', scope: 'read-write' });
    // The limit is per user: the owner of another conversation is not affected.
    await expectStillServing('after a refused connection ');
  });

  it('counts a user’s connections across nodes', async () => {
    const other = await startTestCollab(t);
    try {
      const user = await registerUser(t);
      const own = `conversation:${(await createConversation(t, user)).id}`;
      const open = [collab.connect(own, user.accessToken), collab.connect(own, user.accessToken), other.connect(own, user.accessToken)];
      await Promise.all(open.map((client) => client.synced));
      await expect(other.connect(own, user.accessToken).outcome).resolves.toEqual({ status: 'refused', reason: 'too_many_connections' });
      await expect(collab.connect(own, user.accessToken).outcome).resolves.toEqual({ status: 'refused', reason: 'too_many_connections' });
    } finally {
      await other.close();
    }
  });

  it('refuses an edit that would grow the document past its limit and closes only that connection', async () => {
    const [writer, bystander] = [collab.connect(name, owner.accessToken), collab.connect(name, owner.accessToken)];
    await Promise.all([writer.synced, bystander.synced]);
    writer.doc.getText('title').insert(0, 'x'.repeat(40_000));
    await waitFor('the writer to be closed', () => writer.closes.includes('document_too_large'));

    expect(collab.server.hocuspocus.documents.get(name)!.getText('title').length).toBeLessThan(1_000);
    bystander.doc.getText('title').insert(0, 'small edits still work ');
    await acknowledged(bystander.provider);
    expect(collab.server.hocuspocus.documents.get(name)!.getText('title').toString()).toContain('small edits still work');
    expect(bystander.doc.getText('title').length).toBeLessThan(1_000);
    writer.destroy();
  });

  it('closes a socket that sends a frame over the size limit and keeps serving everyone else', async () => {
    const client = await rawClient(collab.url);
    client.send(Buffer.alloc(100_000, 1));
    await expect(client.closed).resolves.toBe(1009);
    await expectStillServing('after an oversized frame ');
  });

  it('closes a socket that sends garbage before authenticating and keeps serving everyone else', async () => {
    const client = await rawClient(collab.url);
    client.send([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    await expect(client.closed).resolves.toBe(4401);
    await expectStillServing('after garbage ');
  });

  it('closes an authenticated connection that sends an update that does not decode, and logs nothing of it', async () => {
    const conversationId = name.slice('conversation:'.length);
    const logRows = async () =>
      Number((await t.services.db('conversation_updates').where({ conversation_id: conversationId }).count({ n: '*' }))[0]!.n);
    const before = await logRows();
    const client = await rawClient(collab.url);
    client.send([...varString(name), AUTH, 0, ...varString(owner.accessToken)]);
    await waitFor('the server to answer the authentication', client.authenticated);
    client.send([...varString(name), SYNC, SYNC_UPDATE, ...varBytes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]))]);
    await waitFor('a close message', () => client.closeReasons().includes('malformed_update'));
    expect(await logRows()).toBe(before);
    await expectStillServing('after a malformed update ');
    client.socket.close();
  });
});
