import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PluginRuntime } from './PluginRuntime.ts';
import {
  expectFailure,
  expectStillAnswers,
  FakeHost,
  invoke,
  makePlugin,
  silentLog,
  toolPlugin,
  WORD_COUNT,
} from './pluginRuntime.fixtures.ts';
import { CapabilityError } from './types.ts';

/** Ordinary plugins: input in, output out, the capabilities they were granted and nothing else. */
describe('PluginRuntime', () => {
  const runtime = new PluginRuntime({ workers: 2, log: silentLog });

  beforeAll(() => runtime.start(), 60_000);
  afterAll(() => runtime.close());

  it('runs a word count tool: the input goes in, the output comes back, cold first and warm after', async () => {
    const plugin = makePlugin(WORD_COUNT.source, [], 'word-count-cold');
    const first = await invoke(runtime, plugin, { tool: 'count', input: { text: 'the quick  brown fox' } });
    expect(first).toMatchObject({ ok: true, output: { words: 4 }, coldStart: true });
    const second = await invoke(runtime, plugin, { tool: 'count', input: { text: 'jumps' } });
    expect(second).toMatchObject({ ok: true, output: { words: 1 }, coldStart: false });
    expect(second.durationMs).toBeGreaterThan(0);
  });

  it('gives ctx only the capabilities granted, and the invocation as plain data', async () => {
    const probe =
      'return { keys: Object.keys(ctx).sort(), storage: typeof ctx.storage, llm: typeof ctx.llm, invocation: ctx.invocation, ' +
      'conversation: ctx.conversation && Object.keys(ctx.conversation).sort() };';
    const bare = await invoke(runtime, toolPlugin(probe), { conversationId: 'conv-1' });
    expect(bare).toMatchObject({
      ok: true,
      output: { keys: ['invocation'], storage: 'undefined', llm: 'undefined', invocation: { tool: 'run', conversationId: 'conv-1' } },
    });
    const granted = toolPlugin(probe, ['conversations:read', 'storage', 'http:api.example.com']);
    const result = await invoke(runtime, granted);
    expect(result).toMatchObject({
      ok: true,
      output: { keys: ['conversation', 'http', 'invocation', 'storage'], storage: 'object', llm: 'undefined', conversation: ['read'] },
    });
  });

  it('forwards every capability to the host with its arguments and returns the host value', async () => {
    const plugin = toolPlugin(
      [
        'const results = [];',
        'results.push(await ctx.conversation.read());',
        "results.push(await ctx.conversation.post('hello'));",
        "results.push(await ctx.storage.get('k'));",
        "results.push(await ctx.storage.set('k', { n: 1 }));",
        "results.push(await ctx.storage.delete('k'));",
        "results.push(await ctx.llm.complete({ prompt: 'hi', maxTokens: 5 }));",
        "results.push(await ctx.http.fetch('https://api.example.com/x', { method: 'POST', body: 'b' }));",
        "results.push(await ctx.code.execute({ language: 'python', code: 'print(1)' }));",
        'return results;',
      ].join('\n'),
      ['conversations:read', 'conversations:write', 'storage', 'llm', 'http:api.example.com', 'code:execute'],
    );
    const host = new FakeHost((name) => ({ answered: name }));
    const result = await invoke(runtime, plugin, { host });
    const names = [
      'conversation.read',
      'conversation.post',
      'storage.get',
      'storage.set',
      'storage.delete',
      'llm.complete',
      'http.fetch',
      'code.execute',
    ];
    expect(result).toMatchObject({ ok: true, output: names.map((name) => ({ answered: name })) });
    expect(host.calls).toEqual([
      { name: 'conversation.read', args: [] },
      { name: 'conversation.post', args: ['hello'] },
      { name: 'storage.get', args: ['k'] },
      { name: 'storage.set', args: ['k', { n: 1 }] },
      { name: 'storage.delete', args: ['k'] },
      { name: 'llm.complete', args: [{ prompt: 'hi', maxTokens: 5 }] },
      { name: 'http.fetch', args: ['https://api.example.com/x', { method: 'POST', body: 'b' }] },
      { name: 'code.execute', args: [{ language: 'python', code: 'print(1)' }] },
    ]);
  });

  it('rejects the plugin promise with a CapabilityError code and message, and hides other host errors', async () => {
    const plugin = toolPlugin(
      [
        "const seen = []; for (const key of ['quota', 'crash']) {",
        '  try { await ctx.storage.get(key) } catch (error) { seen.push([error.code, error.message, /work/.test(error.stack)]) }',
        '} return seen;',
      ].join('\n'),
      ['storage'],
    );
    const host = new FakeHost((_name, args) => {
      if (args[0] === 'quota') throw new CapabilityError('storage_quota', 'storage quota exceeded');
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432 at /work/secret/db.ts');
    });
    const result = await invoke(runtime, plugin, { host });
    expect(result).toMatchObject({
      ok: true,
      output: [
        ['storage_quota', 'storage quota exceeded', false],
        ['capability_failed', 'storage.get failed', false],
      ],
    });
    await expectStillAnswers(runtime);
  });

  it('answers tool_not_found for a missing tool, and for names on the prototype of tools', async () => {
    expectFailure(await invoke(runtime, WORD_COUNT, { tool: 'missing' }), 'tool_not_found', /missing/);
    expectFailure(await invoke(runtime, WORD_COUNT, { tool: 'constructor' }), 'tool_not_found');
    expectFailure(await invoke(runtime, WORD_COUNT, { tool: 'toString' }), 'tool_not_found');
    await expectStillAnswers(runtime);
  });

  it('answers plugin_invalid for a syntax error, a module without tools and one whose top level throws', async () => {
    expectFailure(await invoke(runtime, makePlugin('export default {')), 'plugin_invalid');
    expectFailure(await invoke(runtime, makePlugin('export default 42;')), 'plugin_invalid', /tools/);
    expectFailure(await invoke(runtime, makePlugin('export const tools = {};')), 'plugin_invalid', /tools/);
    expectFailure(
      await invoke(runtime, makePlugin("throw new Error('boom at load'); export default { tools: {} };")),
      'plugin_invalid',
      /boom at load/,
    );
    await expectStillAnswers(runtime);
  });

  it('answers tool_failed with the message a tool threw, cut short, without a host stack', async () => {
    const thrown = await invoke(runtime, toolPlugin("throw new Error('no such city: Atlantis')"));
    expect(thrown).toMatchObject({ ok: false, error: { code: 'tool_failed', message: 'no such city: Atlantis' } });
    expectFailure(await invoke(runtime, toolPlugin("throw 'a string'")), 'tool_failed', /^a string$/);
    expectFailure(await invoke(runtime, toolPlugin('return input.missing.field')), 'tool_failed', /Cannot read properties of null/);
    const long = await invoke(runtime, toolPlugin("throw new Error('x'.repeat(100000))"));
    expect(!long.ok && long.error.message.length).toBe(1000);
    await expectStillAnswers(runtime);
  });

  it('answers invalid_output for a function, a cycle, a BigInt and a symbol, and null for undefined', async () => {
    expectFailure(await invoke(runtime, toolPlugin('return () => 1')), 'invalid_output');
    expectFailure(await invoke(runtime, toolPlugin('return { nested: { fn() {} } }')), 'invalid_output');
    expectFailure(await invoke(runtime, toolPlugin('const a = {}; a.self = a; return a')), 'invalid_output', /circular/i);
    expectFailure(await invoke(runtime, toolPlugin('return { n: 10n }')), 'invalid_output');
    expectFailure(await invoke(runtime, toolPlugin("return [Symbol('s')]")), 'invalid_output');
    expect(await invoke(runtime, toolPlugin('return undefined'))).toMatchObject({ ok: true, output: null });
    await expectStillAnswers(runtime);
  });

  it('answers output_too_large past outputBytes, counting UTF-8 bytes', async () => {
    const limits = { outputBytes: 1_000 };
    expect(await invoke(runtime, toolPlugin("return 'x'.repeat(990)"), { limits })).toMatchObject({ ok: true });
    expectFailure(await invoke(runtime, toolPlugin("return 'x'.repeat(1000)"), { limits }), 'output_too_large');
    // 400 characters, 1 200 bytes.
    expectFailure(await invoke(runtime, toolPlugin("return '€'.repeat(400)"), { limits }), 'output_too_large');
    expectFailure(await invoke(runtime, toolPlugin('return new Array(600).fill(1)'), { limits }), 'output_too_large');
    await expectStillAnswers(runtime);
  });

  it('gives each invocation of the same plugin fresh globals and prototypes', async () => {
    const plugin = toolPlugin(
      [
        'const before = { counter: globalThis.counter, polluted: ({}).polluted, json: JSON.stringify([1]) };',
        "globalThis.counter = (globalThis.counter ?? 0) + 1; Object.prototype.polluted = input.user; JSON.stringify = () => 'hijacked';",
        'return before;',
      ].join('\n'),
    );
    const first = await invoke(runtime, plugin, { input: { user: 'alice' } });
    const second = await invoke(runtime, plugin, { input: { user: 'bob' } });
    expect(first).toMatchObject({ ok: true, output: { json: '[1]' } });
    expect(second).toMatchObject({ ok: true, output: { json: '[1]' }, coldStart: false });
    expect(first.ok && first.output).toEqual({ json: '[1]' });
    expect(second.ok && second.output).toEqual({ json: '[1]' });
  });

  it('recompiles a plugin whose source changed under the same id', async () => {
    const v1 = makePlugin("export default { tools: { run: async () => 'v1' } };", [], 'versioned');
    const v2 = { ...makePlugin("export default { tools: { run: async () => 'v2' } };", [], 'versioned'), version: '2.0.0' };
    expect(await invoke(runtime, v1)).toMatchObject({ ok: true, output: 'v1' });
    expect(await invoke(runtime, v2)).toMatchObject({ ok: true, output: 'v2', coldStart: true });
    expect(await invoke(runtime, v1)).toMatchObject({ ok: true, output: 'v1' });
  });
});
