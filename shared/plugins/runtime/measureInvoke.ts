/**
 * Latency of plugin tool invocations on this machine:
 * `node --import tsx shared/plugins/runtime/measureInvoke.ts [runs] [workers]`.
 * Cold = the first invocation of a plugin no worker has seen (isolate, prelude and module compiled); warm = the
 * same plugin again (a fresh context, the module from the code cache); REST = a POST through Express on
 * loopback to a handler that invokes the tool, as the API will. A measurement, not a test.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../../logger.ts';
import { PluginRuntime } from './PluginRuntime.ts';
import type { PluginHostCalls, RuntimePlugin } from './types.ts';

const runs = Number(process.argv[2] ?? 300);
const workers = Number(process.argv[3] ?? 2);
const COLD_PLUGINS = 30;
const WARM_UP_RUNS = 20;

const host: PluginHostCalls = { call: (name) => Promise.resolve({ name }) };
function wordCount(id: string): RuntimePlugin {
  const tool = 'async (input) => ({ words: input.text.split(/\\s+/).filter(Boolean).length })';
  const source = `// ${id}\nexport default { tools: { count: ${tool} } };`;
  return { id, version: '1.0.0', source, permissions: [] };
}
const withHostCall: RuntimePlugin = {
  id: 'with-storage',
  version: '1.0.0',
  permissions: ['storage'],
  source: "export default { tools: { count: async (input, ctx) => ({ stored: await ctx.storage.get('k'), n: input.text.length }) } };",
};

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!.toFixed(2);
  const percentiles = `p50 ${at(0.5)}  p90 ${at(0.9)}  p99 ${at(0.99)}  min ${sorted[0]!.toFixed(2)} ms`;
  return `${label.padEnd(44)} n=${String(sorted.length).padEnd(4)} ${percentiles}`;
}

const runtime = new PluginRuntime({ workers, log: createLogger({ LOG_LEVEL: 'warn', LOG_PRETTY: false }) });
const startedAt = performance.now();
await runtime.start();
const startMs = performance.now() - startedAt;

async function invokeDirect(plugin: RuntimePlugin): Promise<{ ms: number; coldStart: boolean }> {
  const begun = performance.now();
  const result = await runtime.invoke({ plugin, tool: 'count', input: { text: 'a b c' }, conversationId: null, host });
  if (!result.ok) throw new Error(`invocation failed: ${JSON.stringify(result)}`);
  return { ms: performance.now() - begun, coldStart: result.coldStart };
}

const app = express();
app.use(express.json());
let restPlugin = wordCount('rest');
app.post('/tools/:tool', async (req, res) => {
  const result = await runtime.invoke({ plugin: restPlugin, tool: req.params.tool, input: req.body, conversationId: null, host });
  res.status(result.ok ? 200 : 422).json(result.ok ? { data: result.output } : { error: result.error });
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tools/count`;
async function invokeRest(): Promise<number> {
  const begun = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"a b c"}' });
  await response.json();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  return performance.now() - begun;
}

const cold: number[] = [];
for (let i = 0; i < COLD_PLUGINS; i++) {
  const { ms, coldStart } = await invokeDirect(wordCount(`cold-${i}`));
  if (!coldStart) throw new Error('expected a cold start');
  cold.push(ms);
}
const warm: number[] = [];
const warmPlugin = wordCount('warm');
for (let i = 0; i < WARM_UP_RUNS + runs; i++) {
  const { ms } = await invokeDirect(warmPlugin);
  if (i >= WARM_UP_RUNS) warm.push(ms);
}
const warmWithCall: number[] = [];
for (let i = 0; i < WARM_UP_RUNS + runs; i++) {
  const { ms } = await invokeDirect(withHostCall);
  if (i >= WARM_UP_RUNS) warmWithCall.push(ms);
}
const restCold: number[] = [];
for (let i = 0; i < COLD_PLUGINS; i++) {
  restPlugin = wordCount(`rest-cold-${i}`);
  restCold.push(await invokeRest());
}
restPlugin = wordCount('rest-warm');
const rest: number[] = [];
for (let i = 0; i < WARM_UP_RUNS + runs; i++) {
  const ms = await invokeRest();
  if (i >= WARM_UP_RUNS) rest.push(ms);
}
server.close();
await runtime.close();

process.stdout.write(
  [
    `start (${workers} workers) ${startMs.toFixed(0)} ms`,
    summary('cold: first invocation of a new plugin', cold),
    summary('warm: trivial tool, fresh context', warm),
    summary('warm: tool making one host call', warmWithCall),
    summary('REST round trip, cold plugin', restCold),
    summary('REST round trip, warm trivial tool', rest),
  ].join('\n') + '\n',
);
