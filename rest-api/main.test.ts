import crypto from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEST_JWT_SECRET } from '../test/http.ts';
import { spawnEntryPoint, type EntryPointProcess } from '../test/processes.ts';
import { createEmptyDatabase } from '../test/services.ts';

describe('rest-api/main.ts on SIGTERM', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let rest: EntryPointProcess;
  let port: number;

  beforeAll(async () => {
    database = await createEmptyDatabase();
    rest = spawnEntryPoint('rest-api/main.ts', {
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATA_DIR: '/nonexistent-test-data-dir',
    });
    port = Number((await rest.waitForLog('rest-api listening')).port);
  }, 90_000);
  afterAll(async () => {
    await rest?.kill();
    await database?.drop();
  });

  it('finishes the request in flight, refuses new connections, then exits 0', async () => {
    const body = JSON.stringify({
      email: `sigterm-${crypto.randomBytes(4).toString('hex')}@example.com`,
      password: 'correct horse battery staple',
      name: 'Sig Term',
    });
    const half = Math.floor(body.length / 2);
    const agent = new http.Agent({ keepAlive: true });
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/auth/register',
      agent,
      // 100-continue is the server's proof that it holds the request before the signal arrives.
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue' },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.once('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      request.once('error', reject);
    });
    await new Promise((resolve) => request.once('continue', resolve));
    await new Promise((resolve) => request.write(body.slice(0, half), resolve));

    rest.child.kill('SIGTERM');
    await rest.waitForLog('shutting down');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    request.end(body.slice(half));
    const { status, body: text } = await response;
    expect(status).toBe(201);
    expect(JSON.parse(text)).toMatchObject({ data: { user: { name: 'Sig Term' } } });
    agent.destroy();

    await expect(rest.exited).resolves.toEqual({ code: 0, signal: null });
    expect(rest.logs.find((line) => line.msg === 'stopped')).toMatchObject({ code: 0 });
  }, 30_000);
});
