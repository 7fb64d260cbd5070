import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openProvider, type TestProvider } from './test/collab.ts';
import { spawnEntryPoint, type EntryPointProcess } from './test/processes.ts';

/** POSTs JSON to the running REST API and returns status and body. */
async function post(
  url: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: { data: { id: string; accessToken: string } } }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { data: { id: string; accessToken: string } } };
}

describe('main.ts: both servers in one process on the embedded defaults', () => {
  let dataDir: string;
  let product: EntryPointProcess;
  let restUrl: string;
  let collabUrl: string;
  let opened: TestProvider | undefined;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-main-'));
    // No DATABASE_URL, REDIS_URL or JWT_SECRET: PGlite, the memory bus and a generated secret.
    product = spawnEntryPoint('main.ts', { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', COLLAB_PORT: '0', LOG_LEVEL: 'info' });
    const rest = await product.waitForLog('rest-api listening');
    const collab = await product.waitForLog('collab-server listening');
    restUrl = `http://127.0.0.1:${Number(rest.port)}`;
    collabUrl = `http://127.0.0.1:${Number(collab.port)}`;
  }, 90_000);
  afterAll(async () => {
    opened?.destroy();
    await product?.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps its state under DATA_DIR', () => {
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it('answers /healthz on the REST and the collab port', async () => {
    for (const base of [restUrl, collabUrl]) {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  it('lets a user registered over REST open their conversation on the collab port', async () => {
    const registered = await post(`${restUrl}/api/auth/register`, {
      email: 'ada@example.com',
      password: 'correct horse battery staple',
      name: 'Ada',
    });
    expect(registered.status).toBe(201);
    const created = await post(`${restUrl}/api/conversations`, { title: 'Launch plan' }, registered.body.data.accessToken);
    expect(created.status).toBe(201);
    opened = openProvider(collabUrl.replace('http:', 'ws:'), `conversation:${created.body.data.id}`, registered.body.data.accessToken);
    await expect(opened.outcome).resolves.toEqual({ status: 'authenticated', scope: 'read-write' });
    await opened.synced;
  });

  it('exits 0 on SIGTERM after running every shutdown step', async () => {
    product.child.kill('SIGTERM');
    await expect(product.exited).resolves.toEqual({ code: 0, signal: null });
    const steps = product.logs.filter((line) => line.msg === 'shutdown step done').map((line) => line.step);
    expect(steps).toEqual(['http', 'collab', 'services']);
  }, 30_000);
});
