import { describe, expect, it } from '@jest/globals';
import { wordCountManifest } from './package.fixtures.ts';
import { parsePluginManifest } from './parsePluginManifest.ts';

const ENTRY = 'export const x = 1;\n';

/** The package files of a plugin whose plugin.json is `manifest` (an object, or raw text). */
function filesWith(manifest: Record<string, unknown> | string, extra: Record<string, string> = {}): Map<string, Buffer> {
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  const files = new Map([['plugin.json', Buffer.from(text)]]);
  for (const [path, content] of Object.entries({ 'dist/index.js': ENTRY, ...extra })) files.set(path, Buffer.from(content));
  return files;
}

/** What parsePluginManifest throws for these files (failing the test when it does not throw). */
function refusalOf(files: Map<string, Buffer>): unknown {
  try {
    parsePluginManifest(files);
  } catch (error) {
    return error;
  }
  throw new Error('expected plugin_invalid');
}

const tool = (overrides: Record<string, unknown> = {}) => ({
  name: 'count_words',
  description: 'Counts words',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  ...overrides,
});

describe('parsePluginManifest', () => {
  it('returns the typed manifest of a valid plugin.json', () => {
    const manifest = parsePluginManifest(filesWith(wordCountManifest()));
    expect(manifest).toMatchObject({ id: 'com.twinmcp.wordcount', version: '1.2.0', entry: 'dist/index.js', hostApi: '^1.0.0' });
    expect(manifest.tools[0]!.annotations).toEqual({ title: 'Count words', readOnlyHint: true });
  });

  it('accepts http permissions for a host, a host and port, an IPv4 and a bracketed IPv6 literal', () => {
    const permissions = ['http:api.example.com', 'http:localhost:8080', 'http:10.0.0.7', 'http:[::1]:443', 'llm', 'code:execute'];
    expect(parsePluginManifest(filesWith(wordCountManifest({ permissions }))).permissions).toEqual(permissions);
  });

  it('keeps the entry path in canonical form', () => {
    expect(parsePluginManifest(filesWith(wordCountManifest({ entry: './dist/index.js' }))).entry).toBe('dist/index.js');
    expect(parsePluginManifest(filesWith(wordCountManifest({ entry: 'main.mjs' }), { 'main.mjs': ENTRY })).entry).toBe('main.mjs');
  });

  it.each<[string, Record<string, unknown> | string, RegExp]>([
    ['not JSON', '{ "id": "com.twinmcp.wordcount", ', /plugin.json is not valid JSON/],
    ['an id that is not reverse-DNS', wordCountManifest({ id: 'wordcount' }), /^plugin.json: id: must be lowercase reverse-DNS/],
    ['an id in upper case', wordCountManifest({ id: 'com.TwinMCP.wordcount' }), /^plugin.json: id:/],
    ['a version that is not semver', wordCountManifest({ version: '1.2' }), /^plugin.json: version: must be a semver version/],
    ['a version with a v', wordCountManifest({ version: 'v1.2.0' }), /^plugin.json: version:/],
    ['a hostApi that is not a range', wordCountManifest({ hostApi: 'latest' }), /^plugin.json: hostApi: must be a semver range/],
    ['an unknown permission', wordCountManifest({ permissions: ['filesystem'] }), /^plugin.json: permissions\[0\]: "filesystem" is not a/],
    ['http: with a scheme', wordCountManifest({ permissions: ['http:https://api.example.com'] }), /^plugin.json: permissions\[0\]:/],
    ['http: with a path', wordCountManifest({ permissions: ['storage', 'http:api.example.com/v1'] }), /^plugin.json: permissions\[1\]:/],
    ['http: with a wildcard', wordCountManifest({ permissions: ['http:*.example.com'] }), /^plugin.json: permissions\[0\]:/],
    ['http: with a bad port', wordCountManifest({ permissions: ['http:example.com:99999'] }), /^plugin.json: permissions\[0\]:/],
    ['http: with a bad IPv4', wordCountManifest({ permissions: ['http:999.1.1.1'] }), /^plugin.json: permissions\[0\]:/],
    [
      'a permission twice',
      wordCountManifest({ permissions: ['llm', 'llm'] }),
      /^plugin.json: permissions: must not name a permission twice/,
    ],
    ['no tools', wordCountManifest({ tools: [] }), /^plugin.json: tools: must offer at least one tool/],
    ['a tool name twice', wordCountManifest({ tools: [tool(), tool()] }), /^plugin.json: tools: must not name a tool twice/],
    ['a tool name with capitals', wordCountManifest({ tools: [tool({ name: 'CountWords' })] }), /^plugin.json: tools\[0\]\.name:/],
    [
      'an input schema of another type',
      wordCountManifest({ tools: [tool({ inputSchema: { type: 'string' } })] }),
      /^plugin.json: tools\[0\]\.inputSchema\.type: must be "object"/,
    ],
    [
      'an input schema that does not compile',
      wordCountManifest({ tools: [tool({ inputSchema: { type: 'object', properties: { text: { type: 'strin' } } } })] }),
      /^plugin.json: tools\[0\]\.inputSchema: does not compile/,
    ],
    [
      'an unknown annotation',
      wordCountManifest({ tools: [tool({ annotations: { dangerous: true } })] }),
      /^plugin.json: tools\[0\]\.annotations\.dangerous:/,
    ],
    ['an unknown field', wordCountManifest({ homepage: 'https://example.com' }), /^plugin.json: homepage:/],
    ['a missing field', wordCountManifest({ publisher: undefined }), /^plugin.json: publisher:/],
    ['an entry that escapes the package', wordCountManifest({ entry: '../index.js' }), /^plugin.json: entry: must be a relative path/],
    ['an entry that is not a module', wordCountManifest({ entry: 'dist/index.ts' }), /^plugin.json: entry: must name a .js or .mjs module/],
    ['an entry that is not in the package', wordCountManifest({ entry: 'dist/main.js' }), /^plugin.json: entry: dist\/main.js is not in/],
  ])('refuses %s, naming the field', (_case, manifest, message) => {
    expect(refusalOf(filesWith(manifest))).toMatchObject({ status: 400, code: 'plugin_invalid', message });
  });

  it('refuses a package without plugin.json', () => {
    expect(() => parsePluginManifest(new Map([['index.js', Buffer.from(ENTRY)]]))).toThrow(/no plugin.json/);
  });

  it('lists every failing field in details', () => {
    const error = refusalOf(filesWith(wordCountManifest({ id: 'x', version: 'one' }))) as { details: { fields: { field: string }[] } };
    expect(error.details.fields.map((item) => item.field)).toEqual(['id', 'version']);
  });
});
