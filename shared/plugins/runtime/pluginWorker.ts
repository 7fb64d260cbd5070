/**
 * Entry of a plugin worker process, forked by PluginRuntime. It is the only process that loads isolated-vm
 * for plugins: an out-of-memory that V8 cannot contain takes this process down, never the API. It keeps each
 * plugin's warm state (WarmPlugin) until the host evicts or drops it, and runs one invocation at a time.
 */
import type { HostMessage, WorkerInvokeRequest, WorkerInvokeResult, WorkerMessage } from './protocol.ts';
import { PluginInvocation } from './PluginInvocation.ts';
import { WarmPlugin } from './WarmPlugin.ts';

const plugins = new Map<string, WarmPlugin>();
let current: PluginInvocation | null = null;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function forget(key: string): void {
  plugins.get(key)?.forget();
  plugins.delete(key);
}

function invoke(request: WorkerInvokeRequest): void {
  send({ type: 'started', id: request.id });
  for (const key of request.evict) forget(key);
  let warm = plugins.get(request.key);
  if (!warm) {
    if (request.source === undefined) {
      return send({
        type: 'result',
        id: request.id,
        ok: false,
        error: { code: 'not_loaded', message: 'send the source' },
        coldStart: true,
      });
    }
    warm = new WarmPlugin(request.key, request.pluginId, request.source);
    plugins.set(request.key, warm);
  }
  const invocation = new PluginInvocation(warm, request, (callId, name, argsJson) =>
    send({ type: 'call', invocationId: request.id, callId, name, argsJson }),
  );
  current = invocation;
  void invocation.execute().then((result: WorkerInvokeResult) => {
    if (current === invocation) current = null;
    send(result);
  });
}

process.on('message', (message: HostMessage) => {
  switch (message.type) {
    case 'invoke':
      return invoke(message);
    case 'callResult':
      if (current?.request.id === message.invocationId) current.onCallResult(message);
      return;
    case 'cancel':
      if (current?.request.id === message.invocationId) current.cancel(message.error);
      return;
    case 'drop':
      if (current?.pluginId === message.pluginId) current.cancel({ code: 'plugin_disabled', message: 'the plugin was stopped' });
      for (const [key, warm] of plugins) if (warm.pluginId === message.pluginId) forget(key);
      return;
  }
});
// The API process is gone: nothing will ask this worker for anything again.
process.on('disconnect', () => process.exit(0));

/**
 * One invocation of a throwaway plugin before saying ready: the first use of isolated-vm's paths and the
 * worker's own code (JIT, lazy initialisation) costs ~30 ms, which the first real cold start would pay.
 */
async function warmUp(): Promise<void> {
  const source = "export default { tools: { run: async (input, ctx) => [input, await ctx.storage.get('k')] } };";
  const warm = new WarmPlugin('warm-up', 'warm-up', source);
  const limits = { timeoutMs: 10_000, memoryMiB: 8, outputBytes: 1024, maxCalls: 1, maxArgBytes: 1024 };
  const request: WorkerInvokeRequest = {
    type: 'invoke',
    id: 0,
    key: 'warm-up',
    pluginId: 'warm-up',
    tool: 'run',
    inputJson: '1',
    grants: ['storage.get'],
    conversationId: null,
    limits,
    evict: [],
  };
  const invocation = new PluginInvocation(warm, request, (callId) =>
    invocation.onCallResult({ type: 'callResult', invocationId: 0, callId, ok: true, valueJson: 'null' }),
  );
  await invocation.execute();
  warm.forget();
}

void warmUp().finally(() => send({ type: 'ready', v8: process.versions.v8 }));
