import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import knexFactory from 'knex';
import { grantOperator } from '@shared/operators.ts';
import { DEV_PLUGIN_PUBLIC_KEY } from '@shared/plugins/package/devKey.ts';
import { buildShippedPlugins } from '../../plugins/buildShippedPlugins.ts';
import { countText, type TextCounts } from '../../plugins/wordcount/src/countText.ts';
import { summarize } from '../lib/latency.ts';
import { measureHttp } from '../lib/measureHttp.ts';
import { bearer, signUp, withRestApp, type RestAppServer } from '../lib/servers.ts';
import { repeat } from '../lib/repeat.ts';
import type { Measurement, Scenario, TargetCheck } from '../lib/types.ts';

const WORDCOUNT_ID = 'com.twinmcp.wordcount';
const WORDCOUNT_TOOL = 'count_words';
/** The name the MCP endpoint gives a plugin's tool, once plugin tools are offered there. */
const WORDCOUNT_MCP_TOOL = 'com_twinmcp_wordcount__count_words';
/** Fresh installs measured for the cold start: each uninstalls the plugin and installs it again. */
const COLD_START_SAMPLES = 10;

/**
 * Production as the bench app runs it trusts only PLUGIN_TRUSTED_KEYS: the development key signs the shipped
 * packages here. One plugin worker (the default); every call of a run must pass the per-user limit.
 */
const PLUGINS_BENCH_ENV = { PLUGIN_TRUSTED_KEYS: DEV_PLUGIN_PUBLIC_KEY, PLUGIN_WORKERS: '1', RATE_LIMIT_PLUGIN_PER_USER: '100000000' };

/** About three hundred words of ordinary prose, the same every run. */
const TEXT = Array.from(
  { length: 10 },
  (_, i) =>
    `Paragraph ${i + 1}: the team met on Friday to review the quarterly budget, the roadmap and the hiring plan; ` +
    "everyone agreed we'd ship the editor's new toolbar before the end of the month.",
).join('\n');

/** The REST app with the shipped packages built (signed with the development key), an operator's and a user's tokens. */
interface PluginsApp {
  app: RestAppServer;
  operator: string;
  user: string;
  wordcountTgz: Buffer;
}

async function withPluginsApp<T>(use: (setup: PluginsApp) => Promise<T>): Promise<T> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-bench-plugins-'));
  try {
    const built = await buildShippedPlugins({ outDir });
    const wordcountTgz = await fs.readFile(built.find((plugin) => plugin.name === 'wordcount')!.tgz);
    return await withRestApp(async (app) => {
      const email = `bench-operator-${crypto.randomBytes(6).toString('hex')}@example.com`;
      const { data } = (await app.call('POST', '/api/auth/register', {
        body: { email, password: 'correct horse battery staple', name: 'Bench operator' },
        expect: 201,
      })) as { data: { accessToken: string } };
      // What `npm run ops -- grant-operator` does, on the app's own database.
      const db = knexFactory({ client: 'pg', connection: app.databaseUrl, pool: { min: 0, max: 1 } });
      try {
        const change = await grantOperator(db, email, 'cli');
        if (change.outcome === 'no_account') throw new Error('the bench operator has no account');
      } finally {
        await db.destroy();
      }
      return use({ app, operator: data.accessToken, user: await signUp(app), wordcountTgz });
    }, PLUGINS_BENCH_ENV);
  } finally {
    await fs.rm(outDir, { recursive: true, force: true });
  }
}

/** Installs the package as the operator (multipart `package`) and puts it in the default set, so every user may call it. */
async function installDefault(app: RestAppServer, operator: string, tgz: Buffer): Promise<void> {
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(tgz)], { type: 'application/gzip' }), 'plugin.tgz');
  const res = await fetch(`${app.url}/api/plugins`, { method: 'POST', headers: bearer(operator), body: form });
  if (res.status !== 201) throw new Error(`install answered ${res.status} ${await res.text()}`);
  const { data } = (await res.json()) as { data: { id: string } };
  await app.call('PATCH', `/api/plugins/${data.id}`, { token: operator, body: { isDefault: true }, expect: 200 });
}

const invokePath = `/api/plugins/${WORDCOUNT_ID}/tools/${WORDCOUNT_TOOL}/invoke`;

/** One REST invocation of the word count by `fetch`; throws unless it answered the counts. The runtime's own time (`durationMs`). */
async function invokeWordcount(app: RestAppServer, token: string, expected: TextCounts): Promise<number> {
  const res = await fetch(`${app.url}${invokePath}`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ input: { text: TEXT } }),
  });
  const body = (await res.json()) as { data?: { output?: TextCounts; durationMs: number } };
  if (res.status !== 200 || body.data?.output?.words !== expected.words)
    throw new Error(`invoke answered ${res.status} ${JSON.stringify(body)}`);
  return body.data.durationMs;
}

/**
 * The word-count tool through the API (auth, the plugin's record and the caller's access, input checked
 * against the tool's schema, the per-user limit, an isolate in the plugin worker process, the invocation
 * recorded in PostgreSQL), one client, one request at a time, against the same function called in this
 * process. The goals are absolute, not a ratio (an HTTP round trip is never within a small factor of a
 * function call): p50 ≤ 5 ms end to end, and a cold start — the first call after a fresh install, which
 * makes the plugin's isolate and loads its module — p50 ≤ 50 ms over ten reinstalls.
 */
export const pluginsWordcount: Scenario = {
  id: 'plugins-wordcount',
  title: `POST ${invokePath}, ~300 words, one client, against countText in-process`,
  targets: {},
  approximateSeconds: (load) => 2 * (load.warmupSeconds + load.durationSeconds) + 15,
  async run(load) {
    const expected = countText(TEXT);
    let firstEver = 0;
    const coldStarts: number[] = [];
    const byFetch: number[] = [];
    const inRuntime: number[] = [];
    const subject = await withPluginsApp(async ({ app, operator, user, wordcountTgz }) => {
      // The very first call also forks the plugin worker process: reported apart from the cold starts.
      await installDefault(app, operator, wordcountTgz);
      let started = performance.now();
      await invokeWordcount(app, user, expected);
      firstEver = performance.now() - started;
      for (let i = 0; i < COLD_START_SAMPLES; i++) {
        await app.call('DELETE', `/api/plugins/${WORDCOUNT_ID}`, { token: operator, expect: 204 });
        await installDefault(app, operator, wordcountTgz);
        started = performance.now();
        await invokeWordcount(app, user, expected);
        coldStarts.push(performance.now() - started);
        // The runtime's own record must call it a cold start (a new isolate), or the sample measured a warm call.
        const { data } = (await app.call('GET', `/api/plugins/${WORDCOUNT_ID}/invocations?limit=1`, { token: operator, expect: 200 })) as {
          data: Array<{ coldStart: boolean }>;
        };
        if (data[0]?.coldStart !== true) throw new Error(`the first call after reinstall was not a cold start: ${JSON.stringify(data)}`);
      }
      const measured = await measureHttp(
        'REST app, plugin isolate',
        {
          url: `${app.url}${invokePath}`,
          method: 'POST',
          headers: { ...bearer(user), 'content-type': 'application/json' },
          body: JSON.stringify({ input: { text: TEXT } }),
        },
        { ...load, connections: 1 },
      );
      // Where the time goes: the same call by fetch, with the time the runtime reports for it.
      for (let i = 0; i < 200; i++) {
        started = performance.now();
        inRuntime.push(await invokeWordcount(app, user, expected));
        byFetch.push(performance.now() - started);
      }
      return measured;
    });
    const baseline = await repeat('countText in-process', load, async () => {
      if (countText(TEXT).words !== expected.words) throw new Error('countText miscounted');
    });
    const cold = summarize(coldStarts);
    const p50 = subject.latencyMs.p50;
    const checks: TargetCheck[] = [
      { name: 'p50 ms', target: '<= 5', actual: p50, pass: p50 <= 5 },
      { name: 'cold start p50 ms', target: '<= 50', actual: cold.p50, pass: cold.p50 <= 50 },
    ];
    const notes = [
      `the text: ${expected.words} words, ${expected.characters} characters`,
      `cold start (first call after a fresh install, ${coldStarts.length} reinstalls): p50 ${cold.p50.toFixed(2)} ms, ` +
        `max ${cold.max.toFixed(2)} ms; the app's very first call, which also forks the plugin worker: ${firstEver.toFixed(1)} ms`,
      `200 calls by fetch: p50 ${summarize(byFetch).p50.toFixed(2)} ms end to end, of which the runtime reported ` +
        `p50 ${summarize(inRuntime).p50.toFixed(0)} ms (durationMs, whole ms)`,
    ];
    return { subject, baseline, checks, notes };
  },
};

/**
 * The SDK's client on `/mcp` with the user's access token; stateless, so the one `initialize` at connect is all the
 * handshake. The transport hands every fetch its one long-lived AbortSignal, on which fetch leaves a listener until
 * garbage collection (thousands of them in a run, and Node's leak warning): each fetch gets a signal of its own that
 * follows that one (AbortSignal.any holds its sources weakly), so closing the client still aborts what runs.
 */
async function connectMcp(app: RestAppServer, token: string): Promise<Client> {
  const client = new Client({ name: 'twinmcp-bench', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${app.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: (url, init) => fetch(url, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init),
  });
  await client.connect(transport);
  return client;
}

/**
 * One `tools/call` as a bare JSON-RPC POST by fetch, with the headers the SDK's client sends: the same request without
 * the client library's own work (its schemas checked on every message). The endpoint is stateless: no `initialize` first.
 */
async function rawToolCall(app: RestAppServer, token: string, name: string, args: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${app.url}/mcp`, {
    method: 'POST',
    headers: {
      ...bearer(token),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  const body = (await res.json()) as { result?: CallToolResult };
  if (res.status !== 200 || !body.result || body.result.isError)
    throw new Error(`raw tools/call answered ${res.status} ${JSON.stringify(body)}`);
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} answered an error: ${JSON.stringify(result.content)}`);
  return result;
}

/**
 * An MCP `tools/call` round trip through the SDK's client (Client + StreamableHTTPClientTransport,
 * initialized once; the endpoint is stateless, so each call is one POST with no `initialize` before it)
 * against the REST call of the same operation by `fetch`, one at a time. The same call as a bare JSON-RPC
 * POST by fetch is a note, to tell the client library's own cost from the server's. The word-count
 * plugin's tool when `/mcp` lists it; until plugin tools are offered there, the product's own
 * `list_conversations` against `GET /api/conversations`, and the notes say so. The issue asks for the
 * figure only: no target.
 */
export const pluginsMcp: Scenario = {
  id: 'plugins-mcp',
  title: 'POST /mcp tools/call, one client (SDK client), against the same call over REST',
  targets: {},
  approximateSeconds: (load) => 2 * (load.warmupSeconds + load.durationSeconds) + 2 * (1 + load.durationSeconds) + 10,
  async run(load) {
    return withPluginsApp(async ({ app, operator, user, wordcountTgz }) => {
      await installDefault(app, operator, wordcountTgz);
      const expected = countText(TEXT);
      const client = await connectMcp(app, user);
      try {
        const { tools } = await client.listTools();
        const notes: string[] = [];
        let tool: { name: string; args: Record<string, unknown> };
        let restCall: () => Promise<unknown>;
        let restLabel: string;
        if (tools.some((listed) => listed.name === WORDCOUNT_MCP_TOOL)) {
          tool = { name: WORDCOUNT_MCP_TOOL, args: { text: TEXT } };
          restCall = () => invokeWordcount(app, user, expected);
          restLabel = `REST POST …/${WORDCOUNT_TOOL}/invoke`;
          notes.push(`the tool: ${WORDCOUNT_MCP_TOOL} on ${expected.words} words, the same input as on REST`);
        } else {
          // Two conversations, so that both answers carry rows.
          for (const title of ['Roadmap', 'Budget']) {
            await app.call('POST', '/api/conversations', { token: user, body: { title }, expect: 201 });
          }
          tool = { name: 'list_conversations', args: { limit: 20 } };
          restCall = async () => {
            const res = await fetch(`${app.url}/api/conversations?limit=20`, { headers: bearer(user) });
            if (res.status !== 200) throw new Error(`GET /api/conversations answered ${res.status}`);
            await res.arrayBuffer();
          };
          restLabel = 'REST GET /api/conversations';
          notes.push(
            `/mcp does not list plugin tools yet (no ${WORDCOUNT_MCP_TOOL}): measured with the product's own ` +
              'list_conversations against GET /api/conversations?limit=20 instead',
          );
        }
        const subject = await repeat(`MCP tools/call ${tool.name}, SDK client`, load, () => callTool(client, tool.name, tool.args));
        const baseline = await repeat(restLabel, load, restCall);
        const short = { ...load, warmupSeconds: 1 };
        const raw = await repeat('bare JSON-RPC', short, () => rawToolCall(app, user, tool.name, tool.args));
        const invoke = await repeat('REST invoke', short, () => invokeWordcount(app, user, expected));
        const p50 = (m: Measurement) => m.latencyMs.p50.toFixed(2);
        notes.push(
          `p50 MCP ÷ REST ${(subject.latencyMs.p50 / baseline.latencyMs.p50).toFixed(2)} (${p50(subject)} ms ÷ ${p50(baseline)} ms); ` +
            `the same tools/call as a bare JSON-RPC POST by fetch, no SDK client: p50 ${p50(raw)} ms; ` +
            `the word count's REST invoke by fetch: p50 ${p50(invoke)} ms`,
        );
        return { subject, baseline, notes };
      } finally {
        await client.close();
      }
    });
  },
};
