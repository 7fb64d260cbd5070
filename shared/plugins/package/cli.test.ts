import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { PluginFixtures } from './package.fixtures.ts';
import { readPluginPackage } from './readPluginPackage.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

const fixtures = new PluginFixtures();
afterEach(() => fixtures.cleanup());

/** Runs `npm run plugin -- ...args` as an author would (Node by its own path, an empty environment). */
function runCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: PROJECT_ROOT, env: {} });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** keygen into a temp folder: the key file's path and the public key id the CLI printed. */
async function keygen(): Promise<{ keyPath: string; keyId: string }> {
  const keyPath = join(await fixtures.tempDir(), 'author.pem');
  const { status, stdout } = await runCli('keygen', '--out', keyPath);
  expect(status).toBe(0);
  return { keyPath, keyId: stdout.trim() };
}

describe('npm run plugin', () => {
  it('keygen → sign → verify: exit 0 and the plugin described', async () => {
    const { keyPath, keyId } = await keygen();
    expect(keyId).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(keyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const dir = await fixtures.pluginDir();
    const signed = await runCli('sign', dir, '--key', keyPath);
    expect(signed).toMatchObject({ status: 0, stdout: `Signed com.twinmcp.wordcount@1.2.0 (2 files) with ${keyId}\n` });

    const verified = await runCli('verify', dir, '--trusted-key', keyId);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toBe(
      [
        'level: signed',
        `key: ${keyId}`,
        'id: com.twinmcp.wordcount',
        'version: 1.2.0',
        'permissions: conversations:read, storage',
        'tools: count_words',
        '',
      ].join('\n'),
    );
  }, 60_000);

  it('verify after tampering: exit 1 and says modified', async () => {
    const { keyPath, keyId } = await keygen();
    const dir = await fixtures.pluginDir();
    expect((await runCli('sign', dir, '--key', keyPath)).status).toBe(0);
    await writeFile(join(dir, 'dist/index.js'), 'export const exfiltrate = true;\n');
    const verified = await runCli('verify', dir, '--trusted-key', keyId);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toMatch(/^level: modified$/m);
    expect(verified.stderr).toMatch(/dist\/index.js changed after signing/);
  }, 60_000);

  it('verify without trusting the signer: exit 1 and says untrusted', async () => {
    const { keyPath } = await keygen();
    const dir = await fixtures.pluginDir();
    expect((await runCli('sign', dir, '--key', keyPath)).status).toBe(0);
    const verified = await runCli('verify', dir);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toMatch(/^level: untrusted$/m);
  }, 60_000);

  it('pack writes a .tgz that verifies as signed', async () => {
    const { keyPath, keyId } = await keygen();
    const dir = await fixtures.pluginDir();
    expect((await runCli('sign', dir, '--key', keyPath)).status).toBe(0);
    const out = join(await fixtures.tempDir(), 'wordcount.tgz');
    expect((await runCli('pack', dir, '--out', out)).status).toBe(0);
    expect([...(await readPluginPackage({ tgz: await readFile(out) })).files.keys()].sort()).toEqual([
      'SIGNATURE.json',
      'dist/index.js',
      'plugin.json',
    ]);
    const verified = await runCli('verify', out, '--trusted-key', keyId);
    expect(verified).toMatchObject({ status: 0, stdout: expect.stringMatching(/^level: signed$/m) });
  }, 60_000);

  it('keygen never overwrites an existing key', async () => {
    const { keyPath } = await keygen();
    const before = await readFile(keyPath, 'utf8');
    const again = await runCli('keygen', '--out', keyPath);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists already/);
    expect(await readFile(keyPath, 'utf8')).toBe(before);
  }, 60_000);

  it.each([
    [[]],
    [['frobnicate']],
    [['sign', '/tmp']],
    [['verify']],
    [['pack', 'a', 'b']],
    [['keygen', '--key', 'x']],
    [['verify', '.', '--trusted-key', 'nope']],
  ])(
    'exits 2 with the usage on %j',
    async (args) => {
      const result = await runCli(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/Usage: npm run plugin -- <command>/);
    },
    60_000,
  );
});
