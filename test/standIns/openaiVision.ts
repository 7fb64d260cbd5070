import http from 'node:http';
import { listenOnLoopback } from './listenOnLoopback.ts';

/** How the stand-in answers: a description, a 500, or never. */
export type OpenAIVisionMode = 'ok' | '500' | 'hang';

/** A chat completion request as the stand-in received it. */
export interface ReceivedCompletion {
  authorization: string | undefined;
  model: string;
  /** The data URL of the image the request carried. */
  imageUrl: string;
  prompt: string;
}

export interface OpenAIVisionStandIn {
  /** For OPENAI_BASE_URL. */
  baseURL: string;
  /** For OPENAI_API_KEY; requests without it are answered 401. */
  apiKey: string;
  /** Set before a request to change the answer. */
  mode: OpenAIVisionMode;
  /** What `ok` answers as the description. */
  description: string;
  received: ReceivedCompletion[];
  close(): Promise<void>;
}

/**
 * A loopback server that speaks OpenAI's `POST /v1/chat/completions` for vision: it takes only a
 * request with a user message holding a text part and an `image_url` part with a base64 data URL,
 * checks the bearer key, and answers a JSON-mode completion — or 500, or nothing at all.
 */
export async function startOpenAIVision(options: { mode?: OpenAIVisionMode; description?: string } = {}): Promise<OpenAIVisionStandIn> {
  const standIn: OpenAIVisionStandIn = {
    baseURL: '',
    apiKey: 'sk-test-vision-0123456789',
    mode: options.mode ?? 'ok',
    description: options.description ?? 'A whiteboard with a meeting agenda written on it.',
    received: [],
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => void answer(req, res));
  async function answer(req: http.IncomingMessage, res: http.ServerResponse) {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return reply(404, { error: { message: `no route ${req.url}` } });
    if (req.headers.authorization !== `Bearer ${standIn.apiKey}`) return reply(401, { error: { message: 'Incorrect API key provided' } });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      model?: string;
      messages?: Array<{ role: string; content: Array<{ type: string; text?: string; image_url?: { url: string } }> | string }>;
    };
    const parts = body.messages?.find((message) => message.role === 'user')?.content;
    const image = Array.isArray(parts) ? parts.find((part) => part.type === 'image_url')?.image_url?.url : undefined;
    const prompt = Array.isArray(parts) ? (parts.find((part) => part.type === 'text')?.text ?? '') : '';
    if (!body.model || !image?.startsWith('data:image/') || !image.includes(';base64,')) {
      return reply(400, { error: { message: 'expected a user message with an image_url data URL' } });
    }
    standIn.received.push({ authorization: req.headers.authorization, model: body.model, imageUrl: image, prompt });
    if (standIn.mode === 'hang') return; // Never answers; close() cuts the socket.
    if (standIn.mode === '500') return reply(500, { error: { message: 'The server had an error while processing your request.' } });
    reply(200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: { role: 'assistant', content: JSON.stringify({ description: standIn.description, labels: ['whiteboard', 'text'] }) },
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    });
  }
  const listening = await listenOnLoopback(server);
  standIn.baseURL = `${listening.origin}/v1`;
  standIn.close = listening.close;
  return standIn;
}
