import http from 'node:http';
import { listenOnLoopback } from './listenOnLoopback.ts';
import { pcmToWav } from '@shared/voice/wav.ts';

/** How the stand-in answers: as OpenAI does, with a 500, or never. */
export type StandInMode = 'ok' | 'error' | 'hang';

/** A request the stand-in received, as a test checks it. */
export interface ReceivedRequest {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** Multipart fields (the file as its name, type and size), or the JSON body. */
  fields: Record<string, unknown>;
}

export interface OpenAIVoiceStandIn {
  /** The base URL to give the SDK (OPENAI_BASE_URL). */
  baseUrl: string;
  mode: StandInMode;
  /** What `/v1/audio/transcriptions` answers when `ok`. */
  transcript: { text: string; segments: Array<{ start: number; end: number; text: string }> };
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** Half a second of silence as WAV: what the speech endpoint answers, whatever was asked. */
const SPEECH = pcmToWav(Buffer.alloc(16_000));

/**
 * OpenAI's audio API on loopback, for the real SDK to talk to: `POST /v1/audio/transcriptions` (multipart,
 * answering `verbose_json`) and `POST /v1/audio/speech` (binary audio). `mode` makes it fail (500) or hang.
 */
export async function startOpenAIVoiceStandIn(): Promise<OpenAIVoiceStandIn> {
  const hanging = new Set<http.ServerResponse>();
  const standIn: OpenAIVoiceStandIn = {
    baseUrl: '',
    mode: 'ok',
    transcript: { text: 'hello from the cloud', segments: [{ start: 0, end: 1.5, text: ' hello from the cloud' }] },
    received: [],
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'];
      standIn.received.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType,
        fields: await fieldsOf(body, contentType),
      });
      if (standIn.mode === 'hang') return void hanging.add(res);
      if (standIn.mode === 'error') {
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'The server had an error', type: 'server_error' } }));
      }
      if (req.method === 'POST' && req.url === '/v1/audio/transcriptions') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ task: 'transcribe', language: 'english', duration: 1.5, ...standIn.transcript }));
      }
      if (req.method === 'POST' && req.url === '/v1/audio/speech') {
        res.writeHead(200, { 'content-type': 'audio/wav' });
        return void res.end(SPEECH);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found' } }));
    })();
  });
  const listening = await listenOnLoopback(server);
  standIn.baseUrl = `${listening.origin}/v1`;
  standIn.close = async () => {
    for (const res of hanging) res.destroy();
    await listening.close();
  };
  return standIn;
}

/** A multipart body's fields (files as `{ name, type, size }`) or a JSON body, parsed by the platform's own FormData. */
async function fieldsOf(body: Buffer, contentType: string | undefined): Promise<Record<string, unknown>> {
  if (contentType?.startsWith('application/json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (!contentType?.startsWith('multipart/form-data')) return {};
  const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    fields[name] = typeof value === 'string' ? value : { name: value.name, type: value.type, size: value.size };
  }
  return fields;
}
