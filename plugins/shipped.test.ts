import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEV_PLUGIN_PUBLIC_KEY, readPluginPackage, verifyPluginPackage, type VerifiedPlugin } from '../shared/plugins/package/index.ts';
import { PluginRuntime } from '../shared/plugins/runtime/PluginRuntime.ts';
import { FakeHost, silentLog } from '../shared/plugins/runtime/pluginRuntime.fixtures.ts';
import type { PluginHostCalls } from '../shared/plugins/runtime/types.ts';
import { buildShippedPlugins } from './buildShippedPlugins.ts';

/**
 * The plugins that ship in plugins/, as an operator gets them: bundled, signed with the development key,
 * packed, read back and verified as an install does, then run in the real isolate runtime. The host
 * side is a fake here (the REST module's tests cover the real capabilities).
 */
describe('shipped plugins', () => {
  let outDir: string;
  let runtime: PluginRuntime;
  const verified = new Map<string, VerifiedPlugin>();

  beforeAll(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-shipped-plugins-'));
    for (const built of await buildShippedPlugins({ outDir })) {
      const pkg = await readPluginPackage({ tgz: await fs.readFile(built.tgz) });
      verified.set(built.name, verifyPluginPackage(pkg, { trustedKeys: [DEV_PLUGIN_PUBLIC_KEY], allowUnsigned: false }));
    }
    runtime = new PluginRuntime({ workers: 1, log: silentLog });
  });
  afterAll(async () => {
    await runtime?.close();
    await fs.rm(outDir, { recursive: true, force: true });
  });

  const run = (name: string, tool: string, input: unknown, host: PluginHostCalls = new FakeHost()) => {
    const plugin = verified.get(name)!;
    return runtime.invoke({
      plugin: {
        id: plugin.manifest.id,
        version: plugin.manifest.version,
        source: plugin.entrySource,
        permissions: plugin.manifest.permissions,
      },
      tool,
      input,
      conversationId: 'conversation-1',
      host,
    });
  };

  it('are four, each signed by the development key', () => {
    expect([...verified.keys()]).toEqual(['formatter', 'summarizer', 'urlfetcher', 'wordcount']);
    for (const plugin of verified.values()) expect(plugin.signature).toMatchObject({ level: 'signed', keyId: DEV_PLUGIN_PUBLIC_KEY });
  });

  it('word count counts a text, and the conversation without one', async () => {
    const counted = await run('wordcount', 'count_words', { text: "Don't panic.\nIt's only 42 words… not really." });
    expect(counted).toMatchObject({ ok: true, output: { words: 8, lines: 2, characters: 44 } });
    const host = new FakeHost((name) =>
      name === 'conversation.read'
        ? { id: 'conversation-1', title: 'T', messages: [{ id: 'm1', role: 'user', content: 'one two three' }] }
        : null,
    );
    expect(await run('wordcount', 'count_words', {}, host)).toMatchObject({ ok: true, output: { words: 3, messages: 1 } });
    expect(host.calls.map((call) => call.name)).toEqual(['conversation.read']);
  });

  it('the formatter runs Prettier inside the isolate, and names the line of a syntax error', async () => {
    const formatted = await run('formatter', 'format_code', { code: 'const x = {a:1,b:[1,2,3]}', language: 'typescript' });
    expect(formatted).toMatchObject({ ok: true, output: { formatted: 'const x = { a: 1, b: [1, 2, 3] };\n', changed: true } });
    const json = await run('formatter', 'format_code', { code: '{"a":1}', language: 'json' });
    expect(json).toMatchObject({ ok: true, output: { formatted: '{ "a": 1 }\n' } });
    const broken = await run('formatter', 'format_code', { code: 'function (', language: 'javascript' });
    expect(broken).toMatchObject({
      ok: false,
      error: { code: 'tool_failed', message: expect.stringMatching(/Cannot format this javascript: .*\(1:/) },
    });
  });

  it('the summarizer reads the conversation and asks the model', async () => {
    const host = new FakeHost((name, args) => {
      if (name === 'conversation.read') return [{ id: 'm1', role: 'user', content: 'Lunch at noon on Friday?' }];
      if (name === 'llm.complete') return { text: `  A lunch is planned. (${JSON.stringify(args[0]).length} chars asked)  ` };
      return null;
    });
    const result = await run('summarizer', 'summarize_conversation', { maxWords: 20 }, host);
    expect(result).toMatchObject({
      ok: true,
      output: { summary: expect.stringMatching(/^A lunch is planned\. \(\d+ chars asked\)$/), messages: 1 },
    });
    const asked = host.calls.find((call) => call.name === 'llm.complete')!.args[0] as { system: string; prompt: string };
    expect(asked.system).toContain('at most 20 words');
    expect(asked.prompt).toContain('user: Lunch at noon on Friday?');
  });

  it('the URL fetcher asks the host for the page and returns its title and text', async () => {
    const host = new FakeHost(() => ({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body:
        '<html><head><title>Yjs &amp; CRDTs</title><script>x()</script></head>' +
        '<body><h1>Yjs</h1><p>Shared&nbsp;types.</p></body></html>',
    }));
    const result = await run('urlfetcher', 'fetch_url', { url: 'https://en.wikipedia.org/wiki/Yjs' }, host);
    expect(result).toMatchObject({ ok: true, output: { status: 200, title: 'Yjs & CRDTs', text: 'Yjs\nShared types.', truncated: false } });
    expect(host.calls).toEqual([{ name: 'http.fetch', args: ['https://en.wikipedia.org/wiki/Yjs', expect.any(Object)] }]);
  });

  it('the URL fetcher is refused, by the host side, a site its permissions do not name', async () => {
    const host = new FakeHost(() => ({ status: 200, headers: {}, body: 'secret' }));
    const result = await run('urlfetcher', 'fetch_url', { url: 'http://169.254.169.254/latest/meta-data/' }, host);
    expect(result).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    expect(host.calls).toEqual([]);
  });
});
