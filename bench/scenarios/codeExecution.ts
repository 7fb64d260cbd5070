import { spawn } from 'node:child_process';
import http from 'node:http';
import { measurementOfRuns, summarize } from '../lib/latency.ts';
import { measureHttp } from '../lib/measureHttp.ts';
import { bearer, signUp, withBareServer, withRestApp } from '../lib/servers.ts';
import type { LoadSettings, Measurement, Scenario, TargetCheck } from '../lib/types.ts';

/** The runs a benchmark makes would trip the per-user limit at once; the queue must hold every client. */
const CODE_BENCH_ENV = { RATE_LIMIT_CODE_EXEC_PER_USER: '100000000', CODE_EXEC_QUEUE: '64' };
/** Debian's interpreter, as the sandbox runs it (a PATH `python3` may be a slow shim). */
const PYTHON = '/usr/bin/python3';

const executeTarget = (baseUrl: string, token: string, run: { language: string; code: string }) => ({
  url: `${baseUrl}/api/code/execute`,
  method: 'POST' as const,
  headers: { ...bearer(token), 'content-type': 'application/json' },
  body: JSON.stringify(run),
});

/** One client at a time: the latency a person sees when they press Run. */
const oneClient = (load: LoadSettings): LoadSettings => ({ ...load, connections: 1 });

/**
 * JavaScript `1+1` through the whole API (auth, validation, the run queue, a fresh isolate in a worker
 * process, the record written to PostgreSQL) against the HTTP floor: a bare Express handler answering
 * the same JSON. Goal: p50 under 20 ms end to end.
 */
export const codeJavaScript: Scenario = {
  id: 'code-js',
  title: 'POST /api/code/execute, JavaScript 1+1, one client',
  targets: {},
  async run(load) {
    let answer: unknown;
    let token = '';
    const subject = await withRestApp(async (app) => {
      token = await signUp(app);
      answer = await app.call('POST', '/api/code/execute', { token, body: { language: 'javascript', code: '1+1' }, expect: 201 });
      return measureHttp('REST app, isolated-vm', executeTarget(app.url, token, { language: 'javascript', code: '1+1' }), oneClient(load));
    }, CODE_BENCH_ENV);
    const baseline = await withBareServer({ method: 'post', path: '/api/code/execute', status: 201, body: answer }, (bare) =>
      // The same request bytes, Authorization included.
      measureHttp('bare Express 5 handler', executeTarget(bare.url, token, { language: 'javascript', code: '1+1' }), oneClient(load)),
    );
    const checks: TargetCheck[] = [{ name: 'p50 ms', target: '< 20', actual: subject.latencyMs.p50, pass: subject.latencyMs.p50 < 20 }];
    return { subject, baseline, checks };
  },
};

/**
 * Python `print(1)` through the API (bubblewrap, an unprivileged uid, rlimits, a pooled cgroup) against
 * the bare interpreter started the same way from this process, one after the other. Goal: p50 ≤ 1.5×.
 */
export const codePython: Scenario = {
  id: 'code-python',
  title: 'POST /api/code/execute, Python print(1), one client, against bare python3',
  targets: { maxP50Ratio: 1.5 },
  async run(load) {
    const subject = await withRestApp(async (app) => {
      const token = await signUp(app);
      await app.call('POST', '/api/code/execute', { token, body: { language: 'python', code: 'print(1)' }, expect: 201 });
      return measureHttp('REST app, bubblewrap', executeTarget(app.url, token, { language: 'python', code: 'print(1)' }), oneClient(load));
    }, CODE_BENCH_ENV);
    await spawnRepeatedly([PYTHON, '-c', 'print(1)'], load.warmupSeconds);
    const latencies = await spawnRepeatedly([PYTHON, '-c', 'print(1)'], load.durationSeconds);
    const baseline = measurementOfRuns(`bare ${PYTHON} -c 'print(1)'`, latencies, load.durationSeconds);
    return { subject, baseline };
  },
};

/** Starts the command again and again for `seconds`, one at a time; the wall time of each, in ms. */
async function spawnRepeatedly(command: string[], seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1_000;
  while (performance.now() < until) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.resume();
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command.join(' ')} exited ${code}`))));
    });
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/**
 * Ten clients running JavaScript at once, for the run's duration: runs per second and their p99, while a
 * separate client asks `/healthz` one request at a time — the API must keep answering everything else
 * (goal: `/healthz` p99 under 50 ms). The baseline is the same `/healthz` client on the idle app.
 */
export const codeConcurrent: Scenario = {
  id: 'code-concurrent',
  title: 'POST /api/code/execute, JavaScript, 10 clients; /healthz meanwhile',
  targets: {},
  async run(load) {
    let healthUnderLoad: number[] = [];
    let idle!: Measurement;
    const subject = await withRestApp(async (app) => {
      const token = await signUp(app);
      idle = await measureHttp('/healthz, idle app, one client', { url: `${app.url}/healthz` }, oneClient(load));
      const probe = pollHealth(`${app.url}/healthz`);
      try {
        return await measureHttp(
          'REST app, isolated-vm, 10 clients',
          executeTarget(app.url, token, { language: 'javascript', code: 'let s = 0; for (let i = 0; i < 1e5; i++) s += i; s' }),
          { ...load, connections: 10 },
        );
      } finally {
        healthUnderLoad = await probe.stop();
      }
    }, CODE_BENCH_ENV);
    const health = summarize(healthUnderLoad);
    const checks: TargetCheck[] = [{ name: 'healthz p99 ms', target: '< 50', actual: health.p99, pass: health.p99 < 50 }];
    const notes = [
      `/healthz under load: p50 ${health.p50.toFixed(2)} ms, p99 ${health.p99.toFixed(2)} ms over ${healthUnderLoad.length} requests`,
    ];
    return { subject, baseline: idle, checks, notes };
  },
};

/** Asks `url` one request at a time, on one keep-alive connection, until stopped; the latencies in ms. */
function pollHealth(url: string): { stop(): Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) =>
        http.get(url, { agent }, (res) => res.resume().once('end', resolve)).once('error', reject),
      );
      latencies.push(performance.now() - started);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return latencies;
    },
  };
}
