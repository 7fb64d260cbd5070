import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';

/** A valid plugin.json: a word-count plugin with one tool. Tests spread their changes over it. */
export function wordCountManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'com.twinmcp.wordcount',
    name: 'Word count',
    version: '1.2.0',
    publisher: 'TwinMCP',
    description: 'Counts the words of a conversation',
    entry: 'dist/index.js',
    hostApi: '^1.0.0',
    permissions: ['conversations:read', 'storage'],
    tools: [
      {
        name: 'count_words',
        description: 'Counts the words in a text',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        annotations: { title: 'Count words', readOnlyHint: true },
      },
    ],
    ...overrides,
  };
}

/** What a fixture plugin folder holds: plugin.json (an object, or raw text for malformed JSON) and other files. */
export interface PluginFolderSpec {
  /** plugin.json: written as JSON, or as it is when a string; the word-count manifest when absent. */
  manifest?: Record<string, unknown> | string;
  /** Further files by relative path, written over the defaults (`dist/index.js`). */
  files?: Record<string, string | Buffer>;
}

/** Temp folders for one test file: `cleanup()` in afterEach removes every folder made since. */
export class PluginFixtures {
  private readonly dirs: string[] = [];

  /** An empty temp folder. */
  async tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'plugin-pkg-'));
    this.dirs.push(dir);
    return dir;
  }

  /** A plugin folder: the word-count manifest and its entry module unless `spec` says otherwise. */
  async pluginDir(spec: PluginFolderSpec = {}): Promise<string> {
    const dir = join(await this.tempDir(), 'plugin');
    const manifest = spec.manifest ?? wordCountManifest();
    const files: Record<string, string | Buffer> = {
      'plugin.json': typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2),
      'dist/index.js': 'export function count_words({ text }) { return text.split(/\\s+/).filter(Boolean).length; }\n',
      ...spec.files,
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  /** Removes every folder made since the last cleanup. */
  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** One raw tar entry: any header tar-stream can write (names are not sanitized), with optional content. */
export type RawEntry = Partial<Header> & { name: string; content?: string | Buffer };

/** A .tgz holding exactly these entries, in order: for archives no honest packer would write. */
export async function rawTgz(entries: RawEntry[]): Promise<Buffer> {
  const tar = tarPack();
  const gzip = createGzip();
  const packed = buffer(gzip);
  const piping = pipeline(tar, gzip);
  for (const { content, ...header } of entries) {
    const body = content === undefined ? undefined : Buffer.from(content);
    if (body) tar.entry({ type: 'file', mode: 0o644, ...header, size: body.length }, body);
    else tar.entry({ mode: 0o644, ...header });
  }
  tar.finalize();
  await piping;
  return packed;
}

/** The entries of a valid plugin (the word-count manifest and its entry module) under `prefix`. */
export function validEntries(prefix = ''): RawEntry[] {
  return [
    { name: `${prefix}plugin.json`, content: JSON.stringify(wordCountManifest()) },
    { name: `${prefix}dist/index.js`, content: 'export const x = 1;\n' },
  ];
}
