/**
 * Measures Python `print(1)` through the bubblewrap backend against bare `/usr/bin/python3 -c 'print(1)'`, with the
 * layers in between, interleaved round by round (in a random order) so that load on a shared machine hits every variant alike.
 * Run: `node --import tsx shared/sandbox/process/measurePrintOne.ts [rounds]` (as root for the full stack).
 * Not a test: it asserts nothing and only prints min / p50 / p90 per variant and the ratio to bare.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createLogger } from '../../logger.ts';
import { DEFAULT_LIMITS } from './testLimits.ts';
import { BubblewrapBackend } from './BubblewrapBackend.ts';
import { CgroupPool } from './CgroupPool.ts';
import { PROCESS_LANGUAGES } from './languages.ts';
import { runScript } from './runScript.ts';
import { launchSandbox } from './SandboxLauncher.ts';

const exec = promisify(execFile);
const limits = DEFAULT_LIMITS;
const python = PROCESS_LANGUAGES.find((language) => language.language === 'python')!;
const rounds = Number(process.argv[2] ?? 30);
const backend = new BubblewrapBackend({ sandboxUid: 65_534, slots: 2, log: createLogger({ LOG_LEVEL: 'warn', LOG_PRETTY: false }) });
await backend.start();

/**
 * A sandbox started on the spot and handed its run at once (the backend's path when no sandbox was started ahead),
 * optionally as the sandbox uid and in a cgroup slot of a pool of our own.
 */
const pool = await CgroupPool.create({ slots: 1, sandboxUid: 65_534, log: createLogger({ LOG_LEVEL: 'warn', LOG_PRETTY: false }) });
await pool?.prepare(0, { memoryBytes: limits.memoryBytes, processes: limits.processes + 2 });
const script = runScript({
  language: python,
  limits,
  source: 'print(1)',
  rlimits: { ...limits, addressSpaceBytes: python.addressSpaceBytes(limits.memoryBytes) },
});
const launch = (uid: number | null, cgroupJoin: string | null): Promise<unknown> =>
  launchSandbox(
    { uid, cgroupJoin },
    { fileBytes: limits.fileBytes, programBytes: 4096, goCacheDir: null },
    { script, stdin: '', wallTimeMs: limits.wallTimeMs, outputBytes: limits.outputBytes },
  );

const variants: Record<string, () => Promise<unknown>> = {
  'bare python3 -c': () => exec('/usr/bin/python3', ['-c', 'print(1)']),
  'bare python3 -I -S -c': () => exec('/usr/bin/python3', ['-I', '-S', '-c', 'print(1)']),
  'fresh sandbox (no uid, no cgroup)': () => launch(null, null),
  'fresh sandbox + uid (no cgroup)': () => launch(65_534, null),
  'fresh sandbox + uid + cgroup join': () => launch(65_534, pool?.joinCommand(0) ?? null),
  'backend (sandbox started ahead)': () => backend.run({ language: 'python', code: 'print(1)', stdin: '', limits }),
};
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < rounds + 3; round++) {
  // A fresh order each round: a sandbox's namespaces are torn down by the kernel after it exits, which slows whatever
  // runs next, so a fixed order would charge that to one variant.
  const order = Object.entries(variants).sort(() => Math.random() - 0.5);
  for (const [name, variant] of order) {
    const startedAt = performance.now();
    await variant();
    // The first rounds warm the page cache and are not kept.
    if (round >= 3) samples[name]!.push(performance.now() - startedAt);
  }
}
await backend.close();
await pool?.remove();

const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
const bare = samples['bare python3 -c']!;
for (const [name, values] of Object.entries(samples)) {
  const [min, p50, p90] = [0, 0.5, 0.9].map((q) => quantile(values, q));
  const ratio = `${(min! / quantile(bare, 0)).toFixed(2)}× min, ${(p50! / quantile(bare, 0.5)).toFixed(2)}× p50`;
  process.stdout.write(`${name.padEnd(44)} min ${min!.toFixed(1)} ms  p50 ${p50!.toFixed(1)} ms  p90 ${p90!.toFixed(1)} ms  (${ratio})\n`);
}
