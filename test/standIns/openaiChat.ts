import http from 'node:http';
import { listenOnLoopback } from './listenOnLoopback.ts';

/** A text chat completion request as the stand-in received it. */
export interface ReceivedChat {
  authorization: string | undefined;
  model: string;
  messages: Array<{ role: string; content: string }>;
  maxTokens: number | undefined;
}

export interface OpenAIChatStandIn {
  /** For OPENAI_BASE_URL. */
  baseURL: string;
  /** For OPENAI_API_KEY; requests without it are answered 401. */
  apiKey: string;
  received: ReceivedChat[];
  close(): Promise<void>;
}

/**
 * A loopback server that speaks OpenAI's `POST /v1/chat/completions` for plain text: it takes only
 * messages whose content is a string, checks the bearer key, and answers `Echo: <last user message>`.
 */
export async function startOpenAIChat(): Promise<OpenAIChatStandIn> {
  const standIn: OpenAIChatStandIn = { baseURL: '', apiKey: 'sk-test-chat-0123456789', received: [], close: async () => undefined };
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
      messages?: Array<{ role: string; content: unknown }>;
      max_tokens?: number;
    };
    const messages = body.messages ?? [];
    if (!body.model || messages.length === 0 || messages.some((message) => typeof message.content !== 'string')) {
      return reply(400, { error: { message: 'expected a model and text messages' } });
    }
    const texts = messages as Array<{ role: string; content: string }>;
    standIn.received.push({ authorization: req.headers.authorization, model: body.model, messages: texts, maxTokens: body.max_tokens });
    const last = texts.filter((message) => message.role === 'user').at(-1)?.content ?? '';
    reply(200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `Echo: ${last}` } }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  }
  const listening = await listenOnLoopback(server);
  standIn.baseURL = `${listening.origin}/v1`;
  standIn.close = listening.close;
  return standIn;
}
