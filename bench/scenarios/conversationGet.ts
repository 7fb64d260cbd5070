import crypto from 'node:crypto';
import { measureHttp } from '../lib/measureHttp.ts';
import { bearer, withBareServer, withRestApp } from '../lib/servers.ts';
import type { Measurement, Scenario } from '../lib/types.ts';

/**
 * Reading one conversation, the request every client makes most: the app verifies the JWT, validates
 * the id, loads the row from PostgreSQL, checks access and presents it, with request logging and
 * metrics on. The baseline answers the same JSON, for the same request, from memory.
 */
export const conversationGet: Scenario = {
  id: 'conversation-get',
  title: 'Authenticated GET /api/conversations/:id',
  targets: { minThroughputRatio: 0.3, maxP99Ratio: 4 },
  async run(load) {
    let answer: unknown;
    let path = '';
    let headers: Record<string, string> = {};
    const subject: Measurement = await withRestApp(async (app) => {
      const { data: session } = (await app.call('POST', '/api/auth/register', {
        body: {
          email: `bench-${crypto.randomBytes(6).toString('hex')}@example.com`,
          password: 'correct horse battery staple',
          name: 'Bench',
        },
        expect: 201,
      })) as { data: { accessToken: string } };
      headers = bearer(session.accessToken);
      const created = (await app.call('POST', '/api/conversations', {
        token: session.accessToken,
        body: { title: 'Quarterly planning with the assistant' },
        expect: 201,
      })) as { data: { id: string } };
      path = `/api/conversations/${created.data.id}`;
      answer = await app.call('GET', path, { token: session.accessToken, expect: 200 });
      return measureHttp('REST app (PostgreSQL, Redis)', { url: `${app.url}${path}`, headers }, load);
    });
    // The same request bytes (Authorization included) and the same response body as the subject.
    const baseline = await withBareServer({ method: 'get', path: '/api/conversations/:id', body: answer }, (bare) =>
      measureHttp('bare Express 5 handler', { url: `${bare.url}${path}`, headers }, load),
    );
    return { subject, baseline };
  },
};
