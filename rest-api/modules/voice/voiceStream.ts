import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Actor } from '@shared/auth.ts';
import { AppError } from '@shared/errors.ts';
import type { Services } from '@shared/services.ts';
import { presentTranscription } from './transcription.presenter.ts';
import { transcribeUpload } from './transcribeUpload.ts';
import { voiceEnginesOf } from './voiceEngines.ts';
import { voiceMetricsOf } from './voiceMetrics.ts';

export const VOICE_STREAM_PATH = '/api/voice/stream';
/** A socket that has not sent `start` by then is closed: it holds a connection and proves nothing. */
export const START_TIMEOUT_MS = 10_000;
/** Largest frame: a MediaRecorder timeslice of a few seconds is tens of KiB. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** How often a partial transcript is made while new audio arrives. */
const PARTIAL_INTERVAL_MS = 1_000;

const StartFrame = z.object({
  type: z.literal('start'),
  token: z.string().min(1),
  language: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/)
    .default('en-US'),
});
const StopFrame = z.object({ type: z.literal('stop') });

/**
 * Streaming transcription at `/api/voice/stream` on the REST server's port (`ws`, attached on upgrade;
 * any other path's upgrade is refused as before). The client authenticates in its first frame
 * (`{ type: 'start', token }`, the same access-token check as every route), sends its MediaRecorder
 * chunks as binary frames, and gets `{ type: 'partial', text }` about once a second: the bytes so far
 * (a WebM or Ogg prefix decodes) transcribed by the local engine. `{ type: 'stop' }` makes the final
 * transcription, exactly as an upload would be (stored, cached, engines in order), answered as
 * `{ type: 'final', data }` before a normal close.
 */
export function attachVoiceStream(server: http.Server, services: Services, options: { startTimeoutMs?: number } = {}): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== VOICE_STREAM_PATH) {
      // Only this listener takes upgrades here; without one, node destroyed the socket, so do the same.
      if (server.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => new VoiceStreamSession(ws, services).begin(options.startTimeoutMs ?? START_TIMEOUT_MS));
  });
  server.once('close', () => wss.close());
  return wss;
}

/** One streaming transcription, from `start` to `final`. */
class VoiceStreamSession {
  private actor?: Actor;
  private language = 'en-US';
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private transcribedBytes = 0;
  private partialTimer?: NodeJS.Timeout;
  private partial?: Promise<void>;
  private finished = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly ws: WebSocket,
    private readonly services: Services,
  ) {}

  begin(startTimeoutMs: number): void {
    const startTimer = setTimeout(
      () => this.fail(new AppError(408, 'start_timeout', `No start frame within ${startTimeoutMs} ms`), 1008),
      startTimeoutMs,
    );
    this.ws.on('message', (data, isBinary) => {
      this.onMessage(data, isBinary).catch((error: unknown) => this.fail(error));
    });
    this.ws.once('close', () => {
      clearTimeout(startTimer);
      this.stop();
    });
    this.ws.on('error', (error) => this.services.log.debug({ err: error }, 'voice stream socket error'));
    this.onStarted = () => clearTimeout(startTimer);
  }

  private onStarted = () => undefined as void;

  private async onMessage(data: RawData, isBinary: boolean): Promise<void> {
    if (this.finished) return;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!this.actor) {
      if (isBinary) throw new AppError(400, 'start_expected', 'The first frame must be a start frame');
      const start = StartFrame.safeParse(parseJson(bytes));
      if (!start.success) throw new AppError(400, 'start_expected', 'The first frame must be { "type": "start", "token": "…" }');
      // Claimed before the check finishes, so frames that arrive meanwhile are not taken for a second start.
      this.onStarted();
      const claims = await this.services.accessTokens.verify(start.data.token);
      this.actor = claims.actor;
      this.language = start.data.language;
      this.send({ type: 'ready' });
      this.partialTimer = setInterval(() => this.makePartial(), PARTIAL_INTERVAL_MS);
      return;
    }
    if (isBinary) return this.append(bytes);
    if (!StopFrame.safeParse(parseJson(bytes)).success)
      throw new AppError(400, 'unknown_frame', 'Expected binary audio or { "type": "stop" }');
    await this.finish();
  }

  private append(chunk: Buffer): void {
    const max = this.services.config.VOICE_MAX_BYTES;
    if (this.bytes + chunk.length > max)
      throw new AppError(413, 'payload_too_large', `The recording is larger than the limit of ${max} bytes`);
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Transcribes the recording so far with the local engine, unless one is being made or nothing new came. */
  private makePartial(): void {
    if (this.partial || this.finished || this.bytes === this.transcribedBytes) return;
    const recording = Buffer.concat(this.chunks);
    this.transcribedBytes = recording.length;
    this.partial = (async () => {
      const engines = voiceEnginesOf(this.services);
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-voice-stream-'));
      try {
        const file = path.join(dir, 'prefix');
        await fs.writeFile(file, recording);
        const audio = await engines.normalise(file, { signal: this.abort.signal });
        const { text } = await engines.transcribeLocally(audio.pcm, { signal: this.abort.signal });
        if (!this.finished) this.send({ type: 'partial', text });
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    })()
      .catch((error: unknown) => {
        // A prefix cut mid-frame may not decode yet; a recording over the limit ends the stream.
        if (error instanceof AppError && error.code === 'audio_too_long') this.fail(error);
        else this.services.log.debug({ err: error }, 'no partial transcript for this prefix');
      })
      .finally(() => (this.partial = undefined));
  }

  /** The final transcription: the recording stored and transcribed as an upload would be. */
  private async finish(): Promise<void> {
    this.stop();
    this.finished = true;
    await this.partial;
    const { storage } = this.services;
    const recording = Buffer.concat(this.chunks);
    const contentType = (await fileTypeFromBuffer(recording))?.mime.split(';')[0] ?? 'application/octet-stream';
    const key = `voice/${this.actor!.id}/${crypto.randomUUID()}`;
    const stored = await storage.put(key, Readable.from([recording]), { contentType });
    const { row } = await transcribeUpload(
      { services: this.services, engines: voiceEnginesOf(this.services), metrics: voiceMetricsOf(this.services) },
      {
        actor: this.actor!,
        upload: { key, name: 'recording', contentType, size: stored.size, sha256: stored.sha256 },
        language: this.language,
      },
    );
    this.send({ type: 'final', data: presentTranscription(row) });
    this.ws.close(1000);
  }

  private stop(): void {
    clearInterval(this.partialTimer);
    if (this.ws.readyState !== this.ws.OPEN) this.abort.abort();
  }

  private send(message: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Answers an error frame, then closes: 1008 for who may not, 1009 for too much, 1011 for ours. */
  private fail(error: unknown, closeCode?: number): void {
    if (this.finished && this.ws.readyState !== this.ws.OPEN) return;
    this.finished = true;
    this.stop();
    this.abort.abort();
    const known = error instanceof AppError;
    if (!known) this.services.log.error({ err: error }, 'voice stream failed');
    const detail = known ? { code: error.code, message: error.message } : { code: 'internal', message: 'Something went wrong' };
    this.send({ type: 'error', error: detail });
    const code = closeCode ?? (known ? (error.status === 401 || error.status === 403 ? 1008 : error.status === 413 ? 1009 : 1008) : 1011);
    this.ws.close(code, detail.code);
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
