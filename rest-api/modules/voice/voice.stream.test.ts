import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { registerUser, type TestUser } from '../../../test/factories.ts';
import { createMediaDir, encodeAs, removeMediaDir, speak } from '../../../test/media.ts';
import { startAttachmentsApp, type AttachmentsApp } from '../attachments/attachments.fixtures.ts';
import { shareOfWordsHeard } from './voice.fixtures.ts';
import { attachVoiceStream, VOICE_STREAM_PATH } from './voiceStream.ts';

const SENTENCE = 'hello world this is a test of streaming speech';

/** A client socket that keeps every message and close it receives, and can wait for one. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  const messages: Array<{ type: string; [key: string]: unknown }> = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as { type: string }));
  const closedPromise = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve((closed = { code, reason: String(reason) }))),
  );
  await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
  async function waitFor(type: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      if (closed || Date.now() > deadline) throw new Error(`no ${type}; got ${JSON.stringify(messages)}, closed ${JSON.stringify(closed)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return { ws, messages, waitFor, closed: closedPromise };
}

describe('streaming transcription at /api/voice/stream', () => {
  let a: AttachmentsApp;
  let server: http.Server;
  let url: string;
  let user: TestUser;
  let dir: string;
  beforeAll(async () => {
    a = await startAttachmentsApp('local');
    server = http.createServer(a.t.app);
    attachVoiceStream(server, a.t.services);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${VOICE_STREAM_PATH}`;
    user = await registerUser(a.t);
    dir = await createMediaDir();
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await a?.close();
    await removeMediaDir(dir);
  });

  it('answers partial transcripts as a webm/opus recording arrives in chunks, then the final one', async () => {
    const recording = await fs.readFile(await encodeAs(await speak(dir, SENTENCE), 'webm'));
    const client = await connect(url);
    client.ws.send(JSON.stringify({ type: 'start', token: user.accessToken, language: 'en-US' }));
    await client.waitFor('ready');
    for (let offset = 0; offset < recording.length; offset += 2048) client.ws.send(recording.subarray(offset, offset + 2048));
    const partial = await client.waitFor('partial');
    expect(shareOfWordsHeard(SENTENCE, String(partial.text))).toBeGreaterThan(0.3);
    client.ws.send(JSON.stringify({ type: 'stop' }));
    const final = (await client.waitFor('final')) as unknown as { data: { status: string; text: string; engine: string; id: string } };
    expect(final.data).toMatchObject({ status: 'done', engine: 'pocketsphinx' });
    expect(shareOfWordsHeard(SENTENCE, final.data.text)).toBeGreaterThanOrEqual(0.5);
    expect((await client.closed).code).toBe(1000);
    // Kept as any transcription is: its owner can read it back.
    const res = await a.t.request.get(`/api/voice/transcriptions/${final.data.id}`).set({ Authorization: `Bearer ${user.accessToken}` });
    expect(res.body.data.text).toBe(final.data.text);
  }, 120_000);

  it('answers a bad token with an error frame and closes', async () => {
    const client = await connect(url);
    client.ws.send(JSON.stringify({ type: 'start', token: 'not-a-token' }));
    const closed = await client.closed;
    expect(client.messages).toEqual([
      { type: 'error', error: { code: expect.stringMatching(/^token_|unauthenticated/), message: expect.any(String) } },
    ]);
    expect(closed.code).toBe(1008);
  });

  it('closes a socket that sends audio before start', async () => {
    const client = await connect(url);
    client.ws.send(Buffer.from([1, 2, 3]));
    expect((await client.closed).code).toBe(1008);
    expect(client.messages[0]).toMatchObject({ type: 'error', error: { code: 'start_expected' } });
  });

  it('closes a socket that never sends start', async () => {
    const quick = http.createServer(a.t.app);
    attachVoiceStream(quick, a.t.services, { startTimeoutMs: 200 });
    await new Promise<void>((resolve) => quick.listen(0, '127.0.0.1', resolve));
    try {
      const client = await connect(`ws://127.0.0.1:${(quick.address() as AddressInfo).port}${VOICE_STREAM_PATH}`);
      expect((await client.closed).code).toBe(1008);
      expect(client.messages).toEqual([{ type: 'error', error: { code: 'start_timeout', message: expect.any(String) } }]);
    } finally {
      quick.closeAllConnections();
      await new Promise((resolve) => quick.close(resolve));
    }
  });

  it('ends a stream past VOICE_MAX_BYTES with 413 and close 1009', async () => {
    const small = await startAttachmentsApp('local', { env: { VOICE_MAX_BYTES: '10000' } });
    const smallServer = http.createServer(small.t.app);
    attachVoiceStream(smallServer, small.t.services);
    await new Promise<void>((resolve) => smallServer.listen(0, '127.0.0.1', resolve));
    try {
      const someone = await registerUser(small.t);
      const client = await connect(`ws://127.0.0.1:${(smallServer.address() as AddressInfo).port}${VOICE_STREAM_PATH}`);
      client.ws.send(JSON.stringify({ type: 'start', token: someone.accessToken }));
      await client.waitFor('ready');
      client.ws.send(Buffer.alloc(6000));
      client.ws.send(Buffer.alloc(6000));
      expect((await client.closed).code).toBe(1009);
      expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'payload_too_large' } });
    } finally {
      smallServer.closeAllConnections();
      await new Promise((resolve) => smallServer.close(resolve));
      await small.close();
    }
  });

  it('refuses an upgrade on any other path', async () => {
    const port = (server.address() as AddressInfo).port;
    await expect(connect(`ws://127.0.0.1:${port}/api/elsewhere`)).rejects.toThrow();
  });
});
