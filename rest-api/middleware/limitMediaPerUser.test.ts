import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { expectError } from '../../test/assertions.ts';
import { bearer, registerUser, type TestUser } from '../../test/factories.ts';
import { startTestApp, type TestApp, type TestBackend } from '../../test/http.ts';

describe.each<TestBackend>(['postgres', 'pglite'])('the media budget per user (%s)', (backend) => {
  let t: TestApp;
  let user: TestUser;
  let other: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ backend, env: { RATE_LIMIT_MEDIA_PER_USER: '2' } });
    user = await registerUser(t);
    other = await registerUser(t);
  });
  afterAll(() => t?.close());

  const synthesize = (who: TestUser) => t.request.post('/api/voice/synthesize').set(bearer(who)).send({ text: 'hi' });
  const analyze = async (who: TestUser) =>
    t.request
      .post('/api/image/analyze?features=metadata')
      .set(bearer(who))
      .attach(
        'image',
        await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
        'a.png',
      );

  it('is one budget for voice and images together, per user, and says when to come back', async () => {
    expect((await synthesize(user)).status).toBe(200);
    expect((await analyze(user)).status).toBe(200);
    const refused = await synthesize(user);
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expectError(await analyze(user), 429, 'rate_limited');
    // Someone else's budget is their own.
    expect((await analyze(other)).status).toBe(200);
  });
});
