import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Express } from 'express';
import { startTestApp, type TestApp } from '../test/http.ts';

/** A logger whose lines the test reads back, parsed. */
function captureLogs(level: 'info' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, log: pino({ level }, sink) };
}

/** A schema, or the component a `$ref` names. */
function resolveSchema(
  document: { components?: { schemas?: Record<string, unknown> } },
  schema: unknown,
): { properties?: Record<string, unknown>; required?: string[] } {
  const ref = (schema as { $ref?: string }).$ref;
  return (ref ? document.components!.schemas![ref.split('/').pop()!] : schema) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
}

/** Every route Express serves: [METHOD, path] from the app's router and the routers mounted on it. */
function servedRoutes(app: Express): string[] {
  const routes: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes;
}

describe('the API document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is OpenAPI 3.1 and documents every route the server answers', async () => {
    const res = await t.request.get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(res.body.paths as Record<string, object>)) {
      for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    // The document and the docs page describe the API; they are not part of it.
    const served = servedRoutes(t.app).filter((route) => !route.endsWith('/api/openapi.json'));
    expect(served.length).toBeGreaterThan(10);
    const undocumented = served.filter((route) => !documented.has(route));
    expect(undocumented).toEqual([]);
  });

  it('promises { data } (lists: { data, pagination }) for every JSON success under /api, never a bare body', async () => {
    const { body } = await t.request.get('/api/openapi.json');
    const bare: string[] = [];
    let checked = 0;
    for (const [path, operations] of Object.entries(
      body.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>,
    )) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (!status.startsWith('2') || !schema) continue;
          checked += 1;
          const resolved = resolveSchema(body, schema);
          if (!resolved.properties?.data || !resolved.required?.includes('data')) bare.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(bare).toEqual([]);
  });

  it('describes request bodies from the same schemas that validate them', async () => {
    const { body } = await t.request.get('/api/openapi.json');
    const register = body.paths['/api/auth/register'].post;
    const schema = register.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['email', 'password', 'name']));
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(['201', '400', '409', '429']));
  });

  it('serves interactive docs at /api/docs', async () => {
    const res = await t.request.get('/api/docs/').redirects(1);
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});

describe('errors at the edge', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers malformed JSON with 400 malformed_json', async () => {
    const res = await t.request.post('/api/auth/login').set('Content-Type', 'application/json').send('{"email": "a@b.c",');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'malformed_json', message: 'Request body is not valid JSON' } });
  });

  it('answers wrong types with 400 and the failing fields', async () => {
    const res = await t.request.post('/api/auth/register').send({ email: 42, password: ['x'], name: 'A' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(['email', 'password']));
  });

  it('rejects unknown fields', async () => {
    const res = await t.request
      .post('/api/auth/register')
      .send({ email: 'a@example.com', password: 'password-1', name: 'A', isAdmin: true });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('isAdmin');
  });

  it('answers an invalid email with 400', async () => {
    const res = await t.request.post('/api/auth/register').send({ email: 'not-an-email', password: 'password-1', name: 'A' });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0].field).toBe('email');
  });

  it('answers NUL characters, which PostgreSQL cannot store, with 400 rather than 500', async () => {
    const res = await t.request.post('/api/auth/register').send({ email: 'nul@example.com', password: 'password-1', name: 'A\u0000B' });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0]).toEqual({ field: 'name', message: 'must not contain NUL characters' });
  });

  it('answers a forged cursor beyond any row number with 400 rather than 500', async () => {
    const reg = await t.request.post('/api/auth/register').send({ email: 'cursor@example.com', password: 'password-1', name: 'C' });
    const cursor = Buffer.from(JSON.stringify(['9999999999999999999'])).toString('base64url');
    const res = await t.request.get(`/api/conversations?cursor=${cursor}`).set('Authorization', `Bearer ${reg.body.data.accessToken}`);
    expect(res.status).toBe(400);
    expect(res.body.error.fields[0].field).toBe('query.cursor');
  });

  it('answers a 2 MiB body with 413 without reading it into a handler', async () => {
    const res = await t.request
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'password-1', name: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await t.services.db('users').where({ email: 'a@example.com' }).first()).toBeUndefined();
  });

  it('answers a body that is not JSON with 415', async () => {
    const res = await t.request.post('/api/auth/login').set('Content-Type', 'text/plain').send('email=a@b.c');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.request.get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'No route for GET /api/nothing-here' } });
  });

  it('never shows a stack trace: an internal failure is a bare 500, logged under its request id', async () => {
    const { lines, log } = captureLogs('error');
    const broken = await startTestApp({ log });
    await broken.services.db.destroy();
    const res = await broken.request
      .post('/api/auth/login')
      .set('X-Request-Id', 'req-broken-1')
      .send({ email: 'a@example.com', password: 'password-1' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal_error', message: 'Internal error' } });
    // The operator finds the cause, stack included, by the id the client was given.
    const logged = lines.find((line) => line.msg === 'unhandled error');
    expect(logged).toMatchObject({ reqId: 'req-broken-1', err: { stack: expect.any(String) } });
    await broken.close();
  });
});

describe('request logs', () => {
  it('write one line per request with its id and actor, and never a password or token', async () => {
    const { lines, log } = captureLogs('info');
    const t = await startTestApp({ log });
    try {
      const password = 'a-very-secret-password';
      const reg = await t.request.post('/api/auth/register').send({ email: 'log@example.com', password, name: 'Log' });
      await t.request.get('/api/auth/me').set('Authorization', `Bearer ${reg.body.data.accessToken}`).set('X-Request-Id', 'req-me-1');
      await t.request.post('/api/auth/refresh').send({ refreshToken: reg.body.data.refreshToken });
      const completed = lines.filter((line) => line.msg === 'request completed');
      expect(completed).toHaveLength(3);
      expect(completed.every((line) => typeof (line.req as { id?: string }).id === 'string')).toBe(true);
      const me = completed.find((line) => (line.req as { id: string }).id === 'req-me-1');
      expect(me).toMatchObject({ actorId: reg.body.data.user.id, res: { status: 200 } });
      const shareId = 'AbCdEfGhIjKlMnOpQrStUvWx';
      await t.request.post(`/api/share/${shareId}/view`).send({});
      expect(lines.at(-1)).toMatchObject({ req: { path: '/api/share/[redacted]/view' } });
      const everything = JSON.stringify(lines);
      expect(everything).not.toContain(shareId);
      for (const secret of [password, reg.body.data.accessToken, reg.body.data.refreshToken]) expect(everything).not.toContain(secret);
    } finally {
      await t.close();
    }
  });
});
