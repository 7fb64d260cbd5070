import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError } from '../../../test/assertions.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { startExpoPushService } from '../../../test/standIns/expoPush.ts';
import { startPushService, type PushServiceStandIn, type StandInSubscription } from '../../../test/standIns/pushService.ts';
import { JOBS_SCHEMA } from '@shared/jobs/jobOverview.ts';
import { devicesOfReaders } from './devices.repo.ts';
import { MAX_DEVICES_PER_USER } from './devices.routes.ts';

let push: PushServiceStandIn;
let expo: ExpoPushStandIn;
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let teamConversation: { id: string; title: string };

beforeAll(async () => {
  push = await startPushService();
  expo = await startExpoPushService();
  t = await startTestApp({
    env: {
      PUSH_PRIVATE_HOSTS: push.host,
      VAPID_SUBJECT: 'mailto:ops@example.com',
      EXPO_PUSH_URL: expo.url,
      EXPO_ACCESS_TOKEN: 'expo-secret',
    },
  });
  [alice, bob, carol] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
  const workspace = await createWorkspace(t, alice);
  await addWorkspaceMember(t, workspace.id, bob, 'member');
  teamConversation = await createWorkspaceConversation(t, alice, workspace.id, 'Launch plan');
});
afterAll(async () => {
  await t.close();
  await push.close();
  await expo.close();
});

const register = (user: TestUser, subscription: Omit<StandInSubscription, 'id'>, extra: Record<string, unknown> = {}) =>
  t.request
    .post('/api/devices')
    .set(bearer(user))
    .send({ kind: 'webpush', subscription, ...extra });
const postMessage = (user: TestUser, conversationId: string, content: string) =>
  t.request.post(`/api/conversations/${conversationId}/messages`).set(bearer(user)).send({ role: 'user', content });
const pushesTo = (subscription: StandInSubscription) => push.received.filter((pushed) => pushed.subscriptionId === subscription.id);

describe('Web Push devices', () => {
  it('pushes a new message to the devices of the other readers, encrypted and VAPID-signed, without its text', async () => {
    const bobsPhone = push.subscribe();
    const alicesLaptop = push.subscribe();
    expect((await register(bob, bobsPhone, { name: 'Phone' })).status).toBe(201);
    expect((await register(alice, alicesLaptop)).status).toBe(201);

    const posted = await postMessage(alice, teamConversation.id, 'The launch moves to Friday');
    expect(posted.status).toBe(201);
    const received = await push.waitFor((pushed) => pushed.subscriptionId === bobsPhone.id);
    expect(received.payload).toEqual({
      type: 'message',
      title: 'Launch plan',
      body: 'New message',
      url: `/c/${teamConversation.id}`,
      conversationId: teamConversation.id,
      messageId: posted.body.data.id,
    });
    expect(received.vapid.sub).toBe('mailto:ops@example.com');
    const key = await t.request.get('/api/devices/push-key').set(bearer(bob));
    expect(received.vapid.publicKey).toBe(key.body.data.publicKey);
    expect(Number(received.ttl)).toBeGreaterThan(0);
    // The author's own device is not told about what they wrote.
    await waitUntil('the push is recorded on the device', async () => {
      const devices = await t.request.get('/api/devices').set(bearer(bob));
      return devices.body.data[0].lastPushedAt !== null;
    });
    expect(pushesTo(alicesLaptop)).toHaveLength(0);
  });

  it('shows the text only on a device that allows previews, and pushes once per message', async () => {
    const tablet = push.subscribe();
    const device = await register(bob, tablet, { previews: true });
    const posted = await postMessage(alice, teamConversation.id, 'Bring   the\nslides');
    const received = await push.waitFor((pushed) => pushed.subscriptionId === tablet.id);
    expect(received.payload).toMatchObject({ body: 'Bring the slides', messageId: posted.body.data.id });
    const disabled = await t.request.patch(`/api/devices/${device.body.data.id}`).set(bearer(bob)).send({ previews: false });
    expect(disabled.body.data.previews).toBe(false);
    await postMessage(alice, teamConversation.id, 'secret plans');
    const second = await push.waitFor((pushed) => pushed.subscriptionId === tablet.id && pushed !== received);
    expect(second.payload).toMatchObject({ body: 'New message' });
    expect(pushesTo(tablet)).toHaveLength(2);
  });

  it("pushes to the conversation's readers only", async () => {
    const carols = push.subscribe();
    const carolsDevice = await register(carol, carols);
    const posted = await postMessage(alice, teamConversation.id, 'team only');
    const messageId = posted.body.data.id as string;
    // The pushes of a message are queued in the transaction that marks it: once marked, the set is final.
    await waitUntil(
      'the message is marked',
      async () => (await t.services.db('messages').where({ id: messageId }).first()).push_queued_at !== null,
    );
    const queued = await t.services
      .db(`${JOBS_SCHEMA}.job`)
      .where({ name: 'push.deliver' })
      .whereRaw("data->'notification'->>'messageId' = ?", [messageId])
      .select(t.services.db.raw("data->>'deviceId' as device_id"));
    const owners = await t.services
      .db('devices')
      .whereIn(
        'id',
        queued.map((job: { device_id: string }) => job.device_id),
      )
      .distinct('user_id');
    expect(owners.map((row: { user_id: string }) => row.user_id)).toEqual([bob.id]);
    expect(queued.map((job: { device_id: string }) => job.device_id)).not.toContain(carolsDevice.body.data.id);

    // A personal conversation's only reader is its owner: what she writes there goes to nobody.
    const { id: personal } = await createConversation(t, alice, 'Private notes');
    expect(await devicesOfReaders(t.services.db, personal, alice.id)).toEqual([]);
  });

  it('removes a device whose subscription the push service says is gone (410)', async () => {
    const old = push.subscribe();
    const device = await register(bob, old);
    push.answer(old.id, 410);
    await postMessage(alice, teamConversation.id, 'anyone there?');
    await waitUntil('the gone device is removed', async () => {
      const listed = await t.request.get('/api/devices').set(bearer(bob));
      return !listed.body.data.some((entry: { id: string }) => entry.id === device.body.data.id);
    });
  });

  it('retries a push the push service could not take (429) until it is delivered', async () => {
    const busy = push.subscribe();
    const device = await register(bob, busy);
    push.answer(busy.id, 429);
    const queued = await t.request.post(`/api/devices/${device.body.data.id}/test`).set(bearer(bob));
    expect(queued.status).toBe(202);
    const received = await push.waitFor((pushed) => pushed.subscriptionId === busy.id);
    expect(received.payload).toMatchObject({ type: 'test', url: '/' });
  }, 30_000);

  it('updates a subscription registered again, and never shows the endpoint', async () => {
    const browser = push.subscribe();
    const first = await register(bob, browser, { name: 'Firefox' });
    const again = await register(bob, browser, { name: 'Firefox (renamed)' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.body.data).toMatchObject({ name: 'Firefox (renamed)', pushService: `https://${push.host}` });
    expect(JSON.stringify(again.body)).not.toContain(browser.id);
  });
});

describe('Pushes beyond messages', () => {
  it('tells an invited person who has an account, on their devices, without the link to accept', async () => {
    const dana = await registerUser(t, { name: 'Dana' });
    const danasPhone = push.subscribe();
    await register(dana, danasPhone);
    const workspace = await createWorkspace(t, alice, 'Research');
    const invited = await t.request
      .post(`/api/workspace/${workspace.id}/invitations`)
      .set(bearer(alice))
      .send({ email: dana.email.toUpperCase(), role: 'admin' });
    expect(invited.status).toBe(201);
    const received = await push.waitFor((pushed) => pushed.subscriptionId === danasPhone.id);
    expect(received.payload).toEqual({
      type: 'invitation',
      title: 'Invitation to Research',
      body: `${alice.name} invited you to join as admin. Accept with the link in the email sent to ${dana.email.toUpperCase()}.`,
      url: '/',
    });
    // The token that accepts it exists only in the email.
    expect(JSON.stringify(received.payload)).not.toMatch(/token/i);

    // An address without an account gets the email alone: nobody else's device hears of it.
    const before = push.received.length;
    const stranger = await t.request
      .post(`/api/workspace/${workspace.id}/invitations`)
      .set(bearer(alice))
      .send({ email: `nobody-${crypto.randomUUID()}@example.com`, role: 'member' });
    expect(stranger.status).toBe(201);
    const queued = await t.services
      .db(`${JOBS_SCHEMA}.job`)
      .where({ name: 'push.deliver' })
      .whereRaw("data->'notification'->>'type' = 'invitation'");
    expect(queued).toHaveLength(1);
    expect(push.received.length - before).toBe(0);
  });

  it("tells a link's creator once when its last view is spent, and nobody on earlier views", async () => {
    const { id: conversationId } = await createConversation(t, carol, 'Board deck');
    const carolsLaptop = push.subscribe();
    await register(carol, carolsLaptop);
    const created = await t.request.post('/api/share').set(bearer(carol)).send({ conversationId, permission: 'read', maxViews: 2 });
    expect(created.status).toBe(201);
    const view = () => t.request.post(`/api/share/${created.body.data.id}/view`).send({});
    expect((await view()).status).toBe(200);
    const afterFirst = await t.services
      .db(`${JOBS_SCHEMA}.job`)
      .where({ name: 'push.deliver' })
      .whereRaw("data->'notification'->>'type' = 'share'");
    expect(afterFirst).toHaveLength(0);

    expect((await view()).status).toBe(200);
    const received = await push.waitFor((pushed) => pushed.subscriptionId === carolsLaptop.id);
    expect(received.payload).toEqual({
      type: 'share',
      title: 'Share link used up',
      body: 'Your link to “Board deck” reached its limit of 2 views.',
      url: `/c/${conversationId}`,
    });
    // Views past the limit are refused and tell nobody again: one push per device of hers, once.
    expect((await view()).status).toBe(404);
    const queued = await t.services
      .db(`${JOBS_SCHEMA}.job`)
      .where({ name: 'push.deliver' })
      .whereRaw("data->'notification'->>'type' = 'share'");
    const carolsDevices = (await t.request.get('/api/devices').set(bearer(carol))).body.data as Array<{ id: string }>;
    expect(queued.map((job: { data: { deviceId: string } }) => job.data.deviceId).sort()).toEqual(carolsDevices.map(({ id }) => id).sort());
  });
});

type ExpoPushStandIn = Awaited<ReturnType<typeof startExpoPushService>>;

describe('App devices (Expo push)', () => {
  const registerApp = (user: TestUser, token: string, extra: Record<string, unknown> = {}) =>
    t.request
      .post('/api/devices')
      .set(bearer(user))
      .send({ kind: 'expo', token, ...extra });

  it("pushes a new message to the app through Expo's push API, with the access token and where to go when tapped", async () => {
    const token = expo.newToken();
    const registered = await registerApp(bob, token, { name: 'Pixel', previews: true });
    expect(registered.status).toBe(201);
    expect(registered.body.data).toMatchObject({ kind: 'expo', name: 'Pixel', previews: true });
    expect(JSON.stringify(registered.body)).not.toContain(token);

    const posted = await postMessage(alice, teamConversation.id, 'Ship it on Friday');
    const received = await expo.waitFor((pushed) => pushed.to === token);
    expect(received).toMatchObject({
      title: 'Launch plan',
      body: 'Ship it on Friday',
      data: { type: 'message', url: `/c/${teamConversation.id}`, conversationId: teamConversation.id, messageId: posted.body.data.id },
      collapseId: teamConversation.id,
      authorization: 'Bearer expo-secret',
    });
  });

  it('removes an app Expo says was uninstalled (DeviceNotRegistered), and rides out Expo being briefly unavailable', async () => {
    const gone = expo.newToken();
    const device = await registerApp(bob, gone);
    expo.unregister(gone);
    await t.request.post(`/api/devices/${device.body.data.id}/test`).set(bearer(bob));
    await waitUntil('the uninstalled app is removed', async () => {
      const listed = await t.request.get('/api/devices').set(bearer(bob));
      return !listed.body.data.some((entry: { id: string }) => entry.id === device.body.data.id);
    });

    const flaky = expo.newToken();
    const other = await registerApp(bob, flaky);
    expo.fail(1);
    await t.request.post(`/api/devices/${other.body.data.id}/test`).set(bearer(bob));
    expect((await expo.waitFor((pushed) => pushed.to === flaky)).data).toMatchObject({ type: 'test' });
  }, 30_000);

  it('refuses what is not an Expo push token', async () => {
    for (const token of ['not-a-token', 'ExponentPushToken[]', 'https://exp.host/x']) {
      expectError(await registerApp(bob, token), 400, 'validation_failed');
    }
  });
});

describe('Devices refuse what would make the server a proxy', () => {
  const keys = () => push.subscribe().keys;

  it('refuses a non-HTTPS endpoint with 400', async () => {
    const res = await register(alice, { endpoint: `http://${push.host}/push/x`, keys: keys() });
    expectError(res, 400, 'validation_failed');
  });

  it('refuses endpoints on private addresses, literal or by name, with 400 push_endpoint_forbidden', async () => {
    for (const endpoint of [
      'https://127.0.0.1:1/push/x',
      'https://10.0.0.7/push/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/push/x',
      'https://localhost:9/push/x',
    ]) {
      expectError(await register(alice, { endpoint, keys: keys() }), 400, 'push_endpoint_forbidden');
    }
    const listed = await t.request.get('/api/devices').set(bearer(alice));
    expect(listed.body.data.every((device: { pushService: string }) => device.pushService === `https://${push.host}`)).toBe(true);
  });

  it('refuses malformed keys with 400', async () => {
    const subscription = push.subscribe();
    const res = await register(alice, { ...subscription, keys: { p256dh: 'short', auth: subscription.keys.auth } });
    expectError(res, 400, 'validation_failed');
  });

  it("answers 404 for another person's device, and changes nothing", async () => {
    const bobs = await register(bob, push.subscribe());
    const id = bobs.body.data.id as string;
    expectError(await t.request.delete(`/api/devices/${id}`).set(bearer(carol)), 404, 'not_found');
    expectError(await t.request.patch(`/api/devices/${id}`).set(bearer(carol)).send({ previews: true }), 404, 'not_found');
    expectError(await t.request.post(`/api/devices/${id}/test`).set(bearer(carol)), 404, 'not_found');
    expectError(await t.request.delete(`/api/devices/${crypto.randomUUID()}`).set(bearer(carol)), 404, 'not_found');
    const listed = await t.request.get('/api/devices').set(bearer(bob));
    expect(listed.body.data.map((device: { id: string }) => device.id)).toContain(id);
    expect((await t.request.delete(`/api/devices/${id}`).set(bearer(bob))).status).toBe(204);
  });

  it(`keeps one person to ${MAX_DEVICES_PER_USER} devices`, async () => {
    const dave = await registerUser(t);
    for (let i = 0; i < MAX_DEVICES_PER_USER; i++) expect((await register(dave, push.subscribe())).status).toBe(201);
    expectError(await register(dave, push.subscribe()), 409, 'too_many_devices');
  });

  it('needs a signed-in person', async () => {
    expectError(await t.request.get('/api/devices'), 401, 'unauthenticated');
  });
});
