import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import App from './App';
import type { Conversation, Message, Workspace } from './src/api/types';
import { lossyFetch } from './test/nodeFetch';
import { startProduct, uniqueEmail, type Product } from './test/product';
import { registerPerson, testServices, waitUntil, type OtherPerson } from './test/testServices';

let product: Product;
beforeAll(async () => {
  product = await startProduct();
});
afterAll(async () => {
  await product?.stop();
});

/** Live updates cross two servers and a database: give them time on a loaded machine, but never sleep blindly. */
const LIVE = { timeout: 15_000 };

/**
 * A team conversation: the phone's owner made the workspace and the conversation, and a colleague
 * (a member, at their own device) can write in it through the API and the collab server.
 */
async function teamConversation(title = 'Launch plan') {
  const phoneUser = await registerPerson(product, 'Bo');
  const colleague = await registerPerson(product, 'Ada');
  const workspace = (await phoneUser.api.call<{ data: Workspace }>('POST', '/api/workspace', { body: { name: `Team ${title}` } })).data;
  await product.addWorkspaceMember(workspace.id, colleague.session.user.id, 'member');
  const conversation = (
    await phoneUser.api.call<{ data: Conversation }>('POST', '/api/conversations', { body: { title, workspaceId: workspace.id } })
  ).data;
  return { phoneUser, colleague, workspace, conversation };
}

async function openConversation(title: string) {
  await fireEvent.press(await screen.findByText(title, {}, LIVE));
  await screen.findByText('Live', {}, LIVE);
}

const messagesOnServer = async (person: OtherPerson, conversationId: string): Promise<Message[]> => person.api.listMessages(conversationId);

describe('the app against the real API and collab server', () => {
  it('signs in and lists the person’s conversations, their team’s included', async () => {
    const person = await registerPerson(product, 'Cleo');
    await person.api.createConversation('Trip to Lisbon');
    await person.api.createConversation('Reading list');
    const services = testServices(product);

    await render(<App services={services} />);
    await fireEvent.changeText(await screen.findByPlaceholderText('Email'), person.email);
    await fireEvent.changeText(screen.getByPlaceholderText('Password'), person.password);
    await fireEvent.press(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('Trip to Lisbon', {}, LIVE)).toBeTruthy();
    expect(screen.getByText('Reading list')).toBeTruthy();
    // The session went to the (stand-in for the) secure store, for the next launch.
    expect((await services.sessionStorage.load())?.user.email).toBe(person.email);
  });

  it('creates an account from the app and lands on an empty conversations list', async () => {
    const services = testServices(product);
    await render(<App services={services} />);
    await fireEvent.press(await screen.findByRole('button', { name: 'New here? Create an account' }));
    await fireEvent.changeText(screen.getByPlaceholderText('Name'), 'Fern');
    await fireEvent.changeText(screen.getByPlaceholderText('Email'), uniqueEmail('fern'));
    await fireEvent.changeText(screen.getByPlaceholderText('Password'), 'a long enough passphrase');
    await fireEvent.press(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByText('No conversations yet.', {}, LIVE)).toBeTruthy();
    expect((await services.sessionStorage.load())?.user.name).toBe('Fern');
  });

  it('shows a wrong password as an error and stays on sign-in', async () => {
    const person = await registerPerson(product, 'Dana');
    await render(<App services={testServices(product)} />);
    await fireEvent.changeText(await screen.findByPlaceholderText('Email'), person.email);
    await fireEvent.changeText(screen.getByPlaceholderText('Password'), 'not the password at all');
    await fireEvent.press(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert', {}, LIVE)).toBeTruthy();
    expect(screen.getByPlaceholderText('Email')).toBeTruthy();
  });

  it('shows a message another person posts through the API live, and who is in the conversation', async () => {
    const { phoneUser, colleague, conversation } = await teamConversation('Release notes');
    await render(<App services={testServices(product, { session: phoneUser.session })} />);
    await openConversation('Release notes');
    const colleagueRoom = colleague.openRoom(conversation.id);
    try {
      await colleague.api.postMessage(conversation.id, 'The build is green, ship it');

      expect(await screen.findByText('The build is green, ship it', {}, LIVE)).toBeTruthy();
      expect(await screen.findByText(/Here: .*Ada/, {}, LIVE)).toBeTruthy();
    } finally {
      colleagueRoom.destroy();
    }
  });

  it('sends what is typed in the shared draft to another collab client, and shows theirs', async () => {
    const { phoneUser, colleague, conversation } = await teamConversation('Draft together');
    await render(<App services={testServices(product, { session: phoneUser.session })} />);
    await openConversation('Draft together');
    const colleagueRoom = colleague.openRoom(conversation.id);
    try {
      await fireEvent.changeText(screen.getByLabelText('Shared draft'), 'Dear customers,');
      await waitUntil(() => colleagueRoom.draftText() === 'Dear customers,', 'the colleague sees the phone’s draft');

      await waitUntil(() => colleagueRoom.state === 'connected', 'the colleague is connected');
      colleagueRoom.setDraftText('Dear customers, we are live.');
      await waitFor(() => expect(screen.getByLabelText('Shared draft').props.value).toBe('Dear customers, we are live.'), LIVE);
    } finally {
      colleagueRoom.destroy();
    }
  });

  it('queues a message written offline and sends it exactly once on reconnect, even when the first answer is lost', async () => {
    const { phoneUser, colleague, conversation } = await teamConversation('Offline post');
    const network = lossyFetch();
    const services = testServices(product, { session: phoneUser.session, fetch: network.fetch });
    await render(<App services={services} />);
    await openConversation('Offline post');

    await act(async () => services.connectivity.set(false));
    await screen.findByText(/^Offline/);
    await fireEvent.changeText(screen.getByLabelText('Message'), 'Written in the tunnel');
    await fireEvent.press(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByText('Sending…')).toBeTruthy();
    // Kept on the phone (the AsyncStorage stand-in), not only in memory.
    expect([...services.storage.entries.values()].join()).toContain('Written in the tunnel');
    expect(await messagesOnServer(colleague, conversation.id)).toEqual([]);

    // Back online: the server takes the message, but its answer never reaches the phone, which retries with the same key.
    network.loseNextAnswer('POST', /\/messages$/);
    await act(async () => services.connectivity.set(true));

    await waitFor(() => expect(screen.queryByText('Sending…')).toBeNull(), LIVE);
    expect(network.lost).toEqual([`POST /api/conversations/${conversation.id}/messages 201`]);
    const onServer = await messagesOnServer(colleague, conversation.id);
    expect(onServer.map((message) => message.content)).toEqual(['Written in the tunnel']);
    expect(await screen.findByText('Written in the tunnel', {}, LIVE)).toBeTruthy();
    expect(screen.getAllByText('Written in the tunnel')).toHaveLength(1);
  });

  it('lists an action the server refuses for good under "Couldn’t send" instead of retrying it forever', async () => {
    const { phoneUser, conversation } = await teamConversation('Soon deleted');
    const services = testServices(product, { session: phoneUser.session });
    await render(<App services={services} />);
    await openConversation('Soon deleted');

    await act(async () => services.connectivity.set(false));
    await fireEvent.changeText(screen.getByLabelText('Message'), 'Nobody will read this');
    await fireEvent.press(screen.getByRole('button', { name: 'Send' }));
    await screen.findByText('Sending…');
    await phoneUser.api.call('DELETE', `/api/conversations/${conversation.id}`);
    await act(async () => services.connectivity.set(true));

    expect(await screen.findByText("Couldn't send", {}, LIVE)).toBeTruthy();
    expect(screen.getByText(/Nobody will read this/)).toBeTruthy();
    await fireEvent.press(screen.getByRole('button', { name: 'Discard' }));
    await waitFor(() => expect(screen.queryByText("Couldn't send")).toBeNull());
  });

  it('opens the conversation of a tapped notification', async () => {
    const { phoneUser, conversation } = await teamConversation('Pinged');
    let openFromNotification: (conversationId: string) => void = () => undefined;
    // expo-notifications exists only on a phone: this stands in for its tap listener (src/push/notificationTaps.ts).
    const services = {
      ...testServices(product, { session: phoneUser.session }),
      onNotificationTap: (open: (conversationId: string) => void) => {
        openFromNotification = open;
        return () => undefined;
      },
    };
    await render(<App services={services} />);
    await screen.findByText('Pinged', {}, LIVE);

    await act(async () => openFromNotification(conversation.id));

    expect(await screen.findByText('Live', {}, LIVE)).toBeTruthy();
    expect(screen.getByLabelText('Shared draft')).toBeTruthy();
  });

  it('shares a read-only link through the system share sheet, with its QR code', async () => {
    const { phoneUser } = await teamConversation('Share me');
    const services = testServices(product, { session: phoneUser.session });
    await render(<App services={services} />);
    await openConversation('Share me');
    await fireEvent.press(screen.getByRole('button', { name: 'Share' }));

    expect(await screen.findByLabelText('QR code of the link', {}, LIVE)).toBeTruthy();
    await fireEvent.press(screen.getByRole('button', { name: 'Share link' }));
    expect(services.shared).toHaveLength(1);
    expect(services.shared[0]?.url).toMatch(/\/share\/[\w-]+$/);
    // The link works for anyone: the server opens it without a session.
    const id = services.shared[0]?.url.split('/').pop() ?? '';
    const res = await globalThis.nodeFetch(`${product.apiUrl}/api/share/${id}/view`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
  });

  it('lists the workspaces with the person’s role', async () => {
    const { phoneUser, workspace } = await teamConversation('Roles');
    await render(<App services={testServices(product, { session: phoneUser.session })} />);
    await fireEvent.press(await screen.findByRole('button', { name: 'Workspaces' }, LIVE));

    expect(await screen.findByText(workspace.name, {}, LIVE)).toBeTruthy();
    expect(screen.getByText('admin')).toBeTruthy();
  });

  it('signs out everywhere: back to sign-in, and the session on every device ends', async () => {
    const phoneUser = await registerPerson(product, 'Eve');
    const services = testServices(product, { session: phoneUser.session });
    await render(<App services={services} />);
    await fireEvent.press(await screen.findByRole('button', { name: 'Settings' }, LIVE));
    await fireEvent.press(await screen.findByRole('button', { name: 'Sign out everywhere' }));

    expect(await screen.findByPlaceholderText('Email', {}, LIVE)).toBeTruthy();
    expect(await services.sessionStorage.load()).toBeNull();
    // Every session of the person ended, the other device's too.
    expect(await phoneUser.api.refresh()).toBe(false);
  });
});
