import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { HostCallBridge } from './HostCallBridge.ts';
import { PluginRuntime } from './PluginRuntime.ts';
import {
  deferred,
  expectFailure,
  expectStillAnswers,
  FakeHost,
  invoke,
  pluginWorkerPids,
  silentLog,
  toolPlugin,
  waitUntil,
} from './pluginRuntime.fixtures.ts';
import { PluginWorkerProcess } from './PluginWorkerProcess.ts';
import type { InvokeError } from './types.ts';

/** A plugin that tells the host it has started (a storage.get of 'started'), then never ends by itself. */
function stuckPlugin(how: 'loop' | 'await' = 'loop') {
  const rest = how === 'loop' ? 'for (;;) {}' : "await ctx.storage.get('hang');";
  return toolPlugin(`await ctx.storage.get('started'); ${rest}`, ['storage']);
}

/** A host that resolves `started` at the plugin's first call and never answers a 'hang'. */
function startSignallingHost() {
  const started = deferred<void>();
  const host = new FakeHost((_name, args) => {
    if (args[0] === 'started') started.resolve();
    return args[0] === 'hang' ? new Promise(() => undefined) : null;
  });
  return { host, started: started.promise };
}

/** The pool of worker processes: the kill switch, dying workers, the backstop, routing, the host-side permission check. */
describe('PluginRuntime workers', () => {
  const runtimes: PluginRuntime[] = [];
  function createRuntime(workers: number, sandboxUid?: number): PluginRuntime {
    const runtime = new PluginRuntime({ workers, sandboxUid, log: silentLog });
    runtimes.push(runtime);
    return runtime;
  }

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  });
  afterAll(() => waitUntil(() => pluginWorkerPids().length === 0, 'every worker is gone'));

  it('never loads isolated-vm in the calling process, only in its workers, and runs them unprivileged as root', async () => {
    const runtime = createRuntime(1, 65_534);
    await expectStillAnswers(runtime);
    const [worker] = pluginWorkerPids();
    const nativeAddon = /isolated-vm[^/\n]*\.node$/m;
    expect(readFileSync(`/proc/${worker}/maps`, 'utf8')).toMatch(nativeAddon);
    expect(readFileSync('/proc/self/maps', 'utf8')).not.toMatch(nativeAddon);
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m
      .exec(readFileSync(`/proc/${worker}/status`, 'utf8'))!
      .slice(1)
      .map(Number);
    const expected = process.getuid!() === 0 ? 65_534 : process.getuid!();
    expect(uids).toEqual([expected, expected, expected]);
    // An empty environment: only the IPC channel variables fork() itself adds.
    const environment = readFileSync(`/proc/${worker}/environ`, 'utf8').split('\0').filter(Boolean);
    expect(environment.map((entry) => entry.split('=')[0]).sort()).toEqual(['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE']);
  });

  it('ends a long-running invocation at once with plugin_disabled on stopPlugin; the next invocation starts cold', async () => {
    const runtime = createRuntime(2);
    const plugin = stuckPlugin('loop');
    const { host, started } = startSignallingHost();
    const running = invoke(runtime, plugin, { host, limits: { timeoutMs: 60_000 } });
    await started;
    await runtime.stopPlugin(plugin.id);
    const result = await running;
    expectFailure(result, 'plugin_disabled');
    expect(result.durationMs).toBeLessThan(30_000);
    const quick = { ...plugin, source: "export default { tools: { run: async () => 'back' } };" };
    expect(await invoke(runtime, quick)).toMatchObject({ ok: true, output: 'back', coldStart: true });
    await expectStillAnswers(runtime);
  });

  it('ends an invocation awaiting a host call, and queued ones of the same plugin, on stopPlugin', async () => {
    const runtime = createRuntime(1);
    const plugin = stuckPlugin('await');
    const { host, started } = startSignallingHost();
    const running = invoke(runtime, plugin, { host, limits: { timeoutMs: 60_000 } });
    const queued = invoke(runtime, plugin, { host, limits: { timeoutMs: 60_000 } });
    await started;
    await runtime.stopPlugin(plugin.id);
    expectFailure(await running, 'plugin_disabled');
    expectFailure(await queued, 'plugin_disabled');
    await expectStillAnswers(runtime);
  });

  it('lets no capability call reach the host after stopPlugin', async () => {
    const runtime = createRuntime(1);
    const plugin = toolPlugin("for (let i = 0; ; i++) { try { await ctx.storage.get('k' + i) } catch {} }", ['storage']);
    let stopped: Promise<void> | undefined;
    const host = new FakeHost((_name, args) => {
      if (args[0] === 'k2') stopped = runtime.stopPlugin(plugin.id);
      return null;
    });
    expectFailure(await invoke(runtime, plugin, { host, limits: { timeoutMs: 60_000 } }), 'plugin_disabled');
    await stopped;
    // One worker: this runs only once the stopped invocation has ended in it, so every call it made has been handled.
    await expectStillAnswers(runtime);
    expect(host.calls.map((call) => call.args[0])).toEqual(['k0', 'k1', 'k2']);
  });

  it('fails only the invocation whose worker is killed mid-run; the next one succeeds on a new worker', async () => {
    const runtime = createRuntime(1);
    const { host, started } = startSignallingHost();
    const running = invoke(runtime, stuckPlugin('loop'), { host, limits: { timeoutMs: 60_000 } });
    await started;
    const [victim] = pluginWorkerPids();
    process.kill(victim!, 'SIGKILL');
    const result = await running;
    expectFailure(result, 'worker_lost', /SIGKILL/);
    await expectStillAnswers(runtime);
    expect(pluginWorkerPids()).not.toContain(victim);
  });

  it('kills a worker that stops answering at the deadline plus a grace, answering timeout', async () => {
    const runtime = createRuntime(1);
    const { host, started } = startSignallingHost();
    const running = invoke(runtime, stuckPlugin('loop'), { host, limits: { timeoutMs: 1_000 } });
    await started;
    const [frozen] = pluginWorkerPids();
    // A stopped process cannot dispose its isolate or answer: only the backstop ends this.
    process.kill(frozen!, 'SIGSTOP');
    const result = await running;
    expectFailure(result, 'timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(2_000);
    await expectStillAnswers(runtime);
    expect(pluginWorkerPids()).not.toContain(frozen);
  });

  it('replaces a worker killed while idle and keeps answering', async () => {
    const runtime = createRuntime(2);
    await runtime.start();
    const [victim, survivor] = pluginWorkerPids();
    process.kill(victim!, 'SIGKILL');
    await waitUntil(() => pluginWorkerPids().length === 2 && !pluginWorkerPids().includes(victim!), 'the killed worker is replaced');
    expect(pluginWorkerPids()).toContain(survivor);
    const results = await Promise.all(Array.from({ length: 4 }, () => invoke(runtime, toolPlugin('return 6 * 7'))));
    expect(results.map((result) => result.ok && result.output)).toEqual([42, 42, 42, 42]);
  });

  it("routes a plugin's invocation to the idle worker that has it warm", async () => {
    const runtime = createRuntime(2);
    await runtime.start();
    const [a, b, c] = [toolPlugin("return 'a'"), toolPlugin("return 'b'"), toolPlugin("return 'c'")];
    for (const plugin of [a, b, c]) expect(await invoke(runtime, plugin)).toMatchObject({ ok: true, coldStart: true });
    // a and c went to one worker, b to the other; each is now warm where it ran.
    for (const plugin of [a, b, c, a]) expect(await invoke(runtime, plugin)).toMatchObject({ ok: true, coldStart: false });
  });

  it('keeps at most 32 plugin versions warm in a worker, forgetting the least recently used', async () => {
    const runtime = createRuntime(1);
    const plugins = Array.from({ length: 33 }, (_, index) => toolPlugin(`return ${index}`));
    for (const plugin of plugins) expect(await invoke(runtime, plugin)).toMatchObject({ ok: true, coldStart: true });
    expect(await invoke(runtime, plugins[32]!)).toMatchObject({ ok: true, output: 32, coldStart: false });
    expect(await invoke(runtime, plugins[1]!)).toMatchObject({ ok: true, output: 1, coldStart: false });
    expect(await invoke(runtime, plugins[0]!)).toMatchObject({ ok: true, output: 0, coldStart: true });
  });

  it('queues more invocations than workers and completes them all', async () => {
    const runtime = createRuntime(2);
    const plugins = Array.from({ length: 3 }, (_, index) => toolPlugin(`return input * ${index + 1}`));
    const results = await Promise.all(Array.from({ length: 12 }, (_, index) => invoke(runtime, plugins[index % 3]!, { input: index })));
    expect(results.map((result) => result.ok && result.output)).toEqual(
      Array.from({ length: 12 }, (_, index) => index * ((index % 3) + 1)),
    );
  });

  it('refuses, in the API process, a capability that a compromised worker put on ctx although it was not granted', async () => {
    const worker = new PluginWorkerProcess(silentLog, () => undefined);
    await worker.start();
    try {
      const host = new FakeHost();
      const violations: InvokeError[] = [];
      // The plugin was granted nothing; the worker is told (as a compromised one would decide) to offer storage anyway.
      const bridge = new HostCallBridge([], host, { maxCalls: 100, maxArgBytes: 1024 }, silentLog, (error) => violations.push(error));
      const plugin = toolPlugin("try { return await ctx.storage.get('secret') } catch (error) { return error.code }");
      const limits = { timeoutMs: 10_000, memoryMiB: 64, outputBytes: 1024, maxCalls: 100, maxArgBytes: 1024 };
      const request = {
        key: 'forged',
        pluginId: plugin.id,
        tool: 'run',
        inputJson: 'null',
        grants: ['storage.get' as const],
        conversationId: null,
        limits,
      };
      const outcome = await worker.invoke(request, plugin.source, bridge, 20_000);
      expect(outcome).toMatchObject({ ok: true, outputJson: '"permission_denied"' });
      expect(violations).toEqual([{ code: 'permission_denied', message: 'the plugin was not granted storage.get' }]);
      expect(host.calls).toHaveLength(0);
    } finally {
      await worker.stop();
    }
  });
});
