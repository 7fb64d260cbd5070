import WebSocket from 'ws';
import type { Conversation, Workspace } from '../api/types';
import { startProduct, type Product } from '../../test/product';
import { registerPerson, waitUntil } from '../../test/testServices';
import { realFetch } from '../../test/nodeFetch';
import { manualConnectivity } from '../offline/Connectivity';
import { memoryKeyValueStorage } from '../offline/Outbox';
import { ConversationRoom } from './ConversationRoom';

let product: Product;
const rooms: ConversationRoom[] = [];
beforeAll(async () => {
  product = await startProduct();
});
afterEach(() => rooms.splice(0).forEach((room) => room.destroy()));
afterAll(async () => {
  await product?.stop();
});

/** An owner's workspace conversation, and a member who opens it on their phone. */
async function sharedConversation() {
  const owner = await registerPerson(product, 'Owen');
  const member = await registerPerson(product, 'Maya');
  const workspace = (await owner.api.call<{ data: Workspace }>('POST', '/api/workspace', { body: { name: 'Crew' } })).data;
  await product.addWorkspaceMember(workspace.id, member.session.user.id, 'member');
  const conversation = (
    await owner.api.call<{ data: Conversation }>('POST', '/api/conversations', { body: { title: 'Plans', workspaceId: workspace.id } })
  ).data;
  const phone = { storage: memoryKeyValueStorage(), connectivity: manualConnectivity(true) };
  const open = () => {
    const room = new ConversationRoom({
      url: product.collabUrl,
      conversationId: conversation.id,
      token: () => member.api.freshAccessToken(),
      user: { id: member.session.user.id, name: 'Maya', color: '#000000' },
      connectivity: phone.connectivity,
      storage: phone.storage,
      WebSocket,
      reconnectDelayMs: 100,
    });
    rooms.push(room);
    return room;
  };
  const ownerRoom = () => {
    const room = owner.openRoom(conversation.id);
    rooms.push(room);
    return room;
  };
  return { owner, member, workspace, conversation, phone, open, ownerRoom };
}

const storedCopyKey = (conversationId: string) => `twinmcp.document:${conversationId}`;

describe('a conversation kept on the phone', () => {
  it('opens offline from the copy on the phone, and merges the draft written offline when the network returns', async () => {
    const { owner, conversation, phone, open, ownerRoom } = await sharedConversation();
    await owner.api.postMessage(conversation.id, 'Meet at nine');
    const first = open();
    await waitUntil(() => first.messages().some((message) => message.content === 'Meet at nine'), 'the message reached the phone');
    first.destroy();
    await waitUntil(() => phone.storage.entries.has(storedCopyKey(conversation.id)), 'the copy was kept');

    // The app starts again in a tunnel.
    phone.connectivity.set(false);
    const offline = open();
    await waitUntil(() => offline.messages().length === 1, 'the kept copy opened');
    expect(offline.state).toBe('offline');
    // Editable as the server last allowed: a member may write the draft.
    await waitUntil(() => !offline.readOnly, 'the last scope was read back');
    offline.setDraftText('Bring snacks');
    expect(offline.draftText()).toBe('Bring snacks');

    const other = ownerRoom();
    await waitUntil(() => other.state === 'connected', 'the owner is connected');
    phone.connectivity.set(true);

    await waitUntil(() => other.draftText() === 'Bring snacks', 'the offline draft reached the owner');
    await waitUntil(() => offline.state === 'connected', 'the phone is connected again');
  });

  it('closes a kept conversation whose access was lost, and wipes the copy', async () => {
    const { owner, member, workspace, conversation, phone, open } = await sharedConversation();
    const first = open();
    await waitUntil(() => first.state === 'connected', 'the phone is connected');
    first.setDraftText('Secret plans');
    first.destroy();
    await waitUntil(() => phone.storage.entries.has(storedCopyKey(conversation.id)), 'the copy was kept');

    await owner.api.call('DELETE', `/api/workspace/${workspace.id}/members/${member.session.user.id}`);
    const reopened = open();

    await waitUntil(() => reopened.state === 'ended', 'the server refused the phone');
    expect(reopened.endReason).toMatch(/^(not_found|forbidden|access_revoked)$/);
    await waitUntil(() => !phone.storage.entries.has(storedCopyKey(conversation.id)), 'the copy was wiped');
  });

  it('is closed live when the person is removed while it is open', async () => {
    const { owner, member, workspace, phone, conversation, open } = await sharedConversation();
    const room = open();
    await waitUntil(() => room.state === 'connected', 'the phone is connected');
    room.setDraftText('Half a thought');
    await waitUntil(() => phone.storage.entries.has(storedCopyKey(conversation.id)), 'the copy was kept');

    await owner.api.call('DELETE', `/api/workspace/${workspace.id}/members/${member.session.user.id}`);

    await waitUntil(() => room.state === 'ended', 'the room was closed');
    expect(room.endReason).toBe('access_revoked');
    await waitUntil(() => !phone.storage.entries.has(storedCopyKey(conversation.id)), 'the copy was wiped');
  });
});

describe('the collab server cannot reach its database for a moment (a failover)', () => {
  /** How many connections the collab server refused with `reason`, from its /metrics. */
  async function refusals(reason: string): Promise<number> {
    const text = await (await realFetch(`${product.collabUrl.replace(/^ws/, 'http')}/metrics`)).text();
    const line = text
      .split('\n')
      .find((entry) => entry.startsWith('collab_connections_refused_total{') && entry.includes(`reason="${reason}"`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('keeps the conversation open and connects again once the database answers', async () => {
    const { open } = await sharedConversation();
    const before = await refusals('database_failover');
    await product.shutCollabDatabase();
    let room: ConversationRoom;
    try {
      room = open();
      // A second refusal of the phone's only connection: it took the first as "not now" and came back.
      await waitUntil(async () => (await refusals('database_failover')) >= before + 2, 'the phone was refused twice');
      expect(room.state).not.toBe('ended');
    } finally {
      await product.openCollabDatabase();
    }
    await waitUntil(() => room.state === 'connected', 'the phone is connected once the database answers');
    expect(room.endReason).toBeUndefined();
  });
});
