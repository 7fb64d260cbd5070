import crypto from 'node:crypto';
import { measureHttp } from '../lib/measureHttp.ts';
import { withBareServer, withRestApp } from '../lib/servers.ts';
import type { Measurement, Scenario } from '../lib/types.ts';

const MESSAGES = 10;

/**
 * Opening a public share link, the request every viewer of a shared conversation makes: no account,
 * no password, no view limit. The app validates the id, looks the share up, spends a view (the counted
 * update and its audit row, committed together), loads the conversation and its messages, checks
 * access and signs a share token. The baseline answers the same JSON, for the same request, from memory.
 */
export const shareView: Scenario = {
  id: 'share-view',
  title: 'Public POST /api/share/:id/view',
  // Reading a conversation is one query; a view is three — a committed write (the counted view with its
  // audit row), then two reads side by side — so a third of its throughput target and twice its p99 factor.
  targets: { minThroughputRatio: 0.1, maxP99Ratio: 8 },
  async run(load) {
    let answer: unknown;
    let path = '';
    const headers = { 'content-type': 'application/json' };
    const body = '{}';
    const subject: Measurement = await withRestApp(async (app) => {
      const { data: session } = (await app.call('POST', '/api/auth/register', {
        body: { email: `bench-${crypto.randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple', name: 'Bench' },
        expect: 201,
      })) as { data: { accessToken: string } };
      const token = session.accessToken;
      const conversation = (await app.call('POST', '/api/conversations', {
        token, body: { title: 'Quarterly planning with the assistant' }, expect: 201,
      })) as { data: { id: string } };
      for (let i = 0; i < MESSAGES; i++) {
        await app.call('POST', `/api/conversations/${conversation.data.id}/messages`, {
          // A person's token posts only `user` messages (assistant ones come from service accounts): same bytes either way.
          token, body: { role: 'user', content: `Message ${i}: ${'a realistic paragraph of chat. '.repeat(8)}` }, expect: 201,
        });
      }
      const share = (await app.call('POST', '/api/share', {
        token, body: { conversationId: conversation.data.id, permission: 'read' }, expect: 201,
      })) as { data: { id: string } };
      path = `/api/share/${share.data.id}/view`;
      answer = await app.call('POST', path, { body: {}, expect: 200 });
      return measureHttp('REST app (PostgreSQL, Redis)', { url: `${app.url}${path}`, method: 'POST', headers, body }, load);
    });
    // The same request bytes and the same response body as the subject.
    const baseline = await withBareServer({ method: 'post', path: '/api/share/:id/view', body: answer }, (bare) =>
      measureHttp('bare Express 5 handler', { url: `${bare.url}${path}`, method: 'POST', headers, body }, load),
    );
    return { subject, baseline };
  },
};
