import crypto from 'node:crypto';
import { measureHttp } from '../lib/measureHttp.ts';
import { withBareServer, withRestApp, type RestAppServer } from '../lib/servers.ts';
import type { Measurement, Scenario, Targets } from '../lib/types.ts';

const MESSAGES = 10;
/** The exactness probe: this many views, this many at once, on a link that allows fewer. */
const PROBE = { views: 600, concurrency: 50, limit: 400 };

/**
 * Opening a public share link, the request every viewer of a shared conversation makes: no account,
 * no password. Without a view limit (`share-view`), the link and what it shows come from memory and
 * the view is counted in a batch written once a second; with one (`share-view-limited`), every view is
 * spent in the database by one statement, so the limit holds exactly — which the run checks after
 * measuring, with PROBE.views views PROBE.concurrency at a time on a link that allows PROBE.limit.
 * The baseline answers the same JSON, for the same request, from memory.
 */
export function shareView(limited: boolean): Scenario {
  const targets: Targets = limited ? { minThroughputRatio: 0.1, maxP99Ratio: 8 } : { minThroughputRatio: 0.3, maxP99Ratio: 4 };
  return {
    id: limited ? 'share-view-limited' : 'share-view',
    title: `Public POST /api/share/:id/view, ${limited ? 'a link with a view limit' : 'a link without a view limit'}`,
    targets,
    async run(load) {
      let answer: unknown;
      let path = '';
      const headers = { 'content-type': 'application/json' };
      const body = '{}';
      const notes: string[] = [];
      const subject: Measurement = await withRestApp(async (app) => {
        const { token, conversationId } = await conversationWithMessages(app);
        // A limit no run reaches: the measured views all count, one statement each.
        const share = await createShare(app, token, conversationId, limited ? 1_000_000_000 : undefined);
        path = `/api/share/${share}/view`;
        answer = await app.call('POST', path, { body: {}, expect: 200 });
        const measured = await measureHttp(
          'REST app (PostgreSQL, Redis)',
          { url: `${app.url}${path}`, method: 'POST', headers, body },
          load,
        );
        if (limited) notes.push(await probeExactness(app, token, conversationId));
        return measured;
      });
      // The same request bytes and the same response body as the subject.
      const baseline = await withBareServer({ method: 'post', path: '/api/share/:id/view', body: answer }, (bare) =>
        measureHttp('bare Express 5 handler', { url: `${bare.url}${path}`, method: 'POST', headers, body }, load),
      );
      return { subject, baseline, notes };
    },
  };
}

async function conversationWithMessages(app: RestAppServer): Promise<{ token: string; conversationId: string }> {
  const { data: session } = (await app.call('POST', '/api/auth/register', {
    body: { email: `bench-${crypto.randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple', name: 'Bench' },
    expect: 201,
  })) as { data: { accessToken: string } };
  const token = session.accessToken;
  const conversation = (await app.call('POST', '/api/conversations', {
    token,
    body: { title: 'Quarterly planning with the assistant' },
    expect: 201,
  })) as { data: { id: string } };
  for (let i = 0; i < MESSAGES; i++) {
    await app.call('POST', `/api/conversations/${conversation.data.id}/messages`, {
      token,
      body: { role: 'user', content: `Message ${i}: ${'a realistic paragraph of chat. '.repeat(8)}` },
      expect: 201,
    });
  }
  return { token, conversationId: conversation.data.id };
}

async function createShare(app: RestAppServer, token: string, conversationId: string, maxViews?: number): Promise<string> {
  const share = (await app.call('POST', '/api/share', {
    token,
    body: { conversationId, permission: 'read', ...(maxViews ? { maxViews } : {}) },
    expect: 201,
  })) as { data: { id: string } };
  return share.data.id;
}

/** Opens a link that allows PROBE.limit views PROBE.views times, PROBE.concurrency at once; fails unless exactly the limit got through. */
async function probeExactness(app: RestAppServer, token: string, conversationId: string): Promise<string> {
  const share = await createShare(app, token, conversationId, PROBE.limit);
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PROBE.concurrency }, async () => {
      while (next < PROBE.views) {
        next += 1;
        const res = await fetch(`${app.url}/api/share/${share}/view`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  const opened = statuses.filter((status) => status === 200).length;
  const refused = statuses.filter((status) => status === 404).length;
  if (opened !== PROBE.limit || refused !== PROBE.views - PROBE.limit) {
    throw new Error(`view limit not exact: ${opened} views opened and ${refused} refused of ${PROBE.views} on a ${PROBE.limit}-view link`);
  }
  return (
    `exactness: ${PROBE.views} views, ${PROBE.concurrency} at a time, on a ${PROBE.limit}-view link: ` +
    `${opened} opened, ${refused} refused (404)`
  );
}
