import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../types.ts';

const FIXTURE = fileURLToPath(new URL('./BubblewrapBackend.unprivileged.fixtures.ts', import.meta.url));
/**
 * The unprivileged API's uid: not SANDBOX_UID, because RLIMIT_NPROC counts a uid's processes host-wide and the other
 * suites' fork bombs run as SANDBOX_UID, and because its tsx leaves esbuild zombies the other suites would count as leaks.
 */
const API_UID = 65_533;

interface FixtureReport {
  describe: string;
  results: Record<'identity' | 'memoryBomb' | 'infiniteLoop' | 'network' | 'go', RunResult>;
}

/** Runs the fixture with Node as an unprivileged uid, as an API not started as root would be. */
async function runFixtureUnprivileged(): Promise<{ report: FixtureReport; logLines: { msg?: string }[] }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-unprivileged-'));
  fs.chownSync(home, API_UID, API_UID);
  try {
    const child = spawn(
      '/usr/bin/setpriv',
      [`--reuid=${API_UID}`, `--regid=${API_UID}`, '--clear-groups', process.execPath, '--import', 'tsx', FIXTURE],
      { cwd: process.cwd(), env: { PATH: '/usr/bin:/bin', HOME: home, TMPDIR: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`fixture exited ${code}: ${stderr}`);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { report: lines.at(-1) as unknown as FixtureReport, logLines: lines.slice(0, -1) };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

test('an API not running as root gets no uid switch and no cgroups, says so, and still confines and limits runs', async () => {
  const { report, logLines } = await runFixtureUnprivileged();
  expect(report.describe).toContain('no uid switch');
  expect(report.describe).toContain('no cgroups');
  expect(logLines.map((line) => line.msg)).toContain('not running as root: no uid switch and no cgroups; rlimits still apply');
  const { identity, memoryBomb, infiniteLoop, network, go } = report.results;
  expect(identity.stdout).toBe(`${API_UID} ['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'tmp', 'usr']\n`);
  // Without a memory cgroup, RLIMIT_AS stops the bomb and Python reports MemoryError.
  expect(memoryBomb).toMatchObject({ limit: 'memory', exitCode: 1 });
  expect(infiniteLoop).toMatchObject({ limit: 'time', signal: 'SIGKILL' });
  expect(network.stdout).toBe('ConnectionRefusedError\n');
  expect(go).toMatchObject({ stdout: 'go ok\n', exitCode: 0 });
}, 120_000);
