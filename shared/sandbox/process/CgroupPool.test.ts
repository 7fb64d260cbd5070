import { afterEach, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createLogger } from '../../logger.ts';
import { CgroupPool } from './CgroupPool.ts';
import { SANDBOX_UID } from './testBackend.ts';

const log = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });
/** The pools of process `pid` (one per CgroupPool it made). */
const poolDirs = (controller: string, pid = process.pid): string[] =>
  fs
    .readdirSync(`/sys/fs/cgroup/${controller}`)
    .filter((name) => name.startsWith(`twinmcp-sandbox-${pid}-`))
    .map((name) => `/sys/fs/cgroup/${controller}/${name}`);
let pool: CgroupPool | null = null;
afterEach(async () => {
  await pool?.remove();
  pool = null;
});

test('two pools of one process are kept apart: removing one leaves the other whole', async () => {
  const first = await CgroupPool.create({ slots: 1, sandboxUid: SANDBOX_UID, log });
  pool = await CgroupPool.create({ slots: 1, sandboxUid: SANDBOX_UID, log });
  expect(poolDirs('memory')).toHaveLength(2);
  await first?.remove();
  expect(poolDirs('memory')).toHaveLength(1);
  expect(await pool?.members(0)).toEqual([]);
});

test('makes one memory+pids pair per slot whose cgroup.procs the sandbox uid owns, and removes them all', async () => {
  pool = await CgroupPool.create({ slots: 2, sandboxUid: SANDBOX_UID, log });
  if (!pool) throw new Error('these tests run as root, where the pool must be made');
  for (const controller of ['memory', 'pids']) {
    const [dir, ...others] = poolDirs(controller);
    expect(others).toEqual([]);
    expect(fs.readdirSync(dir!).filter((name) => /^\d+$/.test(name))).toEqual(['0', '1']);
    expect(fs.statSync(`${dir}/1/cgroup.procs`).uid).toBe(SANDBOX_UID);
  }
  await pool.remove();
  pool = null;
  for (const controller of ['memory', 'pids']) expect(poolDirs(controller)).toEqual([]);
});

test('a process that joined a slot by its join command is killed by drain, which waits until the slot is empty', async () => {
  pool = await CgroupPool.create({ slots: 1, sandboxUid: SANDBOX_UID, log });
  if (!pool) throw new Error('these tests run as root, where the pool must be made');
  const before = await pool.prepare(0, { memoryBytes: 64 * 1024 * 1024, processes: 8 });
  const member = spawn('/bin/sh', ['-c', `${pool.joinCommand(0)} && exec sleep 1000`], {
    uid: SANDBOX_UID,
    gid: SANDBOX_UID,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => member.on('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 10_000;
  while ((await pool.members(0)).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(await pool.members(0)).toEqual([member.pid]);
  expect(fs.readFileSync(`${poolDirs('pids')[0]}/0/pids.max`, 'utf8').trim()).toBe('8');
  expect(await pool.drain(0)).toBe(true);
  expect(await exited).toBe('SIGKILL');
  expect(await pool.members(0)).toEqual([]);
  expect(await pool.counters(0)).toEqual(before);
});

test('a pool left behind by a dead process is removed when a new pool is made', async () => {
  // A pid that is surely not running: a child that has exited and been reaped.
  const gone = spawn('/bin/true');
  await new Promise((resolve) => gone.on('exit', resolve));
  for (const controller of ['memory', 'pids']) {
    fs.mkdirSync(`/sys/fs/cgroup/${controller}/twinmcp-sandbox-${gone.pid}-1/0`, { recursive: true });
  }
  pool = await CgroupPool.create({ slots: 1, sandboxUid: SANDBOX_UID, log });
  for (const controller of ['memory', 'pids']) expect(poolDirs(controller, gone.pid)).toEqual([]);
});

test('where no cgroup hierarchy is mounted (a fresh sysfs, as `ip netns exec` gives) the pool is not made, promptly', async () => {
  // Recursive mkdir under that /sys/fs/cgroup retried for ever on the thread pool: the server spun at half a
  // core from start-up and never finished making its sandbox pool.
  const namespace = `twinmcp-cg-${crypto.randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', namespace]);
  try {
    const script = [
      "import { CgroupPool } from './shared/sandbox/process/CgroupPool.ts';",
      "import { createLogger } from './shared/logger.ts';",
      "const log = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });",
      `const pool = await CgroupPool.create({ slots: 2, sandboxUid: ${SANDBOX_UID}, log });`,
      "console.log(pool === null ? 'no pool' : 'pool');",
    ].join('\n');
    const answer = await new Promise<string>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`CgroupPool.create did not settle in 20 s: ${output}`));
      }, 20_000);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(output.trim());
      });
    });
    expect(answer).toBe('no pool');
  } finally {
    execFileSync('ip', ['netns', 'del', namespace]);
  }
}, 30_000);
