import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TEST_JWT_SECRET } from '../test/http.ts';
import { spawnEntryPoint, type EntryPointProcess } from '../test/processes.ts';

describe('npm run backup and npm run restore, on the embedded database', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-backup-cli-'));
  const children: EntryPointProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs a CLI on the data directory; resolves with its exit code and the text lines it printed. */
  async function run(script: string, ...args: string[]) {
    const child = spawnEntryPoint(script, { NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', DATA_DIR: dataDir }, args);
    children.push(child);
    const { code } = await child.exited;
    return { code, lines: child.logs.map((line) => (typeof line.text === 'string' ? line.text : (line.msg ?? ''))) };
  }

  it('backs up and verifies with progress lines, lists the backup, and restores it in place only with --yes', async () => {
    const backup = await run('ops/backup.ts');
    expect(backup.code).toBe(0);
    // Not a terminal: plain lines, one per phase at least, no bar.
    expect(backup.lines.some((line) => /^dumping: [\d.]+ MiB, tables \d+\/\d+/.test(line))).toBe(true);
    const verified = backup.lines.find((line) => /^backup \S+ verified: \d+ bytes, \d+ tables/.test(line));
    expect(verified).toBeDefined();
    const id = verified!.split(' ')[1]!;

    const list = await run('ops/backup.ts', 'list');
    expect(list.code).toBe(0);
    expect(list.lines[0]).toMatch(new RegExp(`^${id} .* verified `));

    expect((await run('ops/backup.ts', 'verify', id)).code).toBe(0);
    expect((await run('ops/restore.ts', id, '--in-place')).code).toBe(2);
    const restored = await run('ops/restore.ts', id, '--in-place', '--yes');
    expect(restored.code).toBe(0);
    expect(restored.lines.at(-1)).toMatch(/^restored \S+ in place; the previous data directory is kept at /);
    expect(fs.readdirSync(dataDir).filter((name) => name.startsWith('pglite.before-restore-'))).toHaveLength(1);
    // The restored database still knows the backup, verified.
    expect((await run('ops/backup.ts', 'list')).lines[0]).toMatch(new RegExp(`^${id} .* verified `));
  }, 120_000);
});
