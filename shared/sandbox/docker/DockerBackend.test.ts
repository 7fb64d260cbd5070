import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startDockerEngine, type CreateBody, type DockerEngineStandIn } from '../../../test/dockerEngine.ts';
import { LANGUAGES, type Language, type RunRequest, type SandboxLimits } from '../types.ts';
import { DockerBackend } from './DockerBackend.ts';
import { DEFAULT_IMAGES } from './languageCommands.ts';

const LIMITS: SandboxLimits = {
  wallTimeMs: 5_000,
  cpuSeconds: 5,
  memoryBytes: 128 * 1024 * 1024,
  outputBytes: 64 * 1024,
  processes: 64,
  openFiles: 64,
  fileBytes: 10 * 1024 * 1024,
};
const CUSTOM_PYTHON = 'registry.example.com/sandbox/python:3.12-hardened';
const log = pino({ level: 'silent' });

function request(overrides: Partial<RunRequest> = {}): RunRequest {
  return { language: 'python', code: 'print(1)', stdin: '', limits: LIMITS, ...overrides };
}

/** The program's source as the container would decode it from its environment. */
function decodedCode(create: CreateBody): string {
  const parts = (create.Env ?? []).filter((entry) => entry.startsWith('SANDBOX_CODE_'));
  parts.sort((a, b) => Number(/^SANDBOX_CODE_(\d+)=/.exec(a)?.[1]) - Number(/^SANDBOX_CODE_(\d+)=/.exec(b)?.[1]));
  return Buffer.from(parts.map((entry) => entry.slice(entry.indexOf('=') + 1)).join(''), 'base64').toString('utf8');
}

let engine: DockerEngineStandIn;
let backend: DockerBackend;

beforeEach(async () => {
  engine = await startDockerEngine({
    images: { ...Object.fromEntries(Object.values(DEFAULT_IMAGES).map((image) => [image, []])), [CUSTOM_PYTHON]: [] },
  });
  backend = new DockerBackend({ socketPath: engine.socketPath, images: { python: CUSTOM_PYTHON }, log });
});

afterEach(async () => {
  await backend.close();
  await engine.close();
});

function onlyCreateBody(): CreateBody {
  const creates = engine.requestsTo('POST', /^\/containers\/create$/);
  expect(creates).toHaveLength(1);
  return creates[0]!.body as CreateBody;
}

function expectAllRemoved(): void {
  expect(engine.liveContainerIds()).toEqual([]);
  const deletes = engine.requestsTo('DELETE', /^\/containers\/[^/]+$/);
  expect(deletes.length).toBeGreaterThan(0);
  for (const removal of deletes) expect(removal.query).toEqual({ force: 'true' });
}

describe('DockerBackend container configuration', () => {
  it.each(LANGUAGES)('sends the locked-down container config for %s', async (language: Language) => {
    const code = `program in ${language} — ünïcödé`;
    await backend.run(request({ language, code }));

    const create = onlyCreateBody();
    expect(create.Image).toBe(language === 'python' ? CUSTOM_PYTHON : DEFAULT_IMAGES[language]);
    expect(create.User).toBe('65534:65534');
    expect(create.HostConfig).toEqual({
      NetworkMode: 'none',
      Memory: LIMITS.memoryBytes,
      MemorySwap: LIMITS.memoryBytes,
      NanoCpus: 1_000_000_000,
      PidsLimit: LIMITS.processes,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${LIMITS.fileBytes}` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Ulimits: [
        { Name: 'nofile', Soft: LIMITS.openFiles, Hard: LIMITS.openFiles },
        { Name: 'nproc', Soft: LIMITS.processes, Hard: LIMITS.processes },
        { Name: 'fsize', Soft: LIMITS.fileBytes, Hard: LIMITS.fileBytes },
        { Name: 'cpu', Soft: LIMITS.cpuSeconds, Hard: LIMITS.cpuSeconds + 1 },
      ],
      AutoRemove: false,
    });
    // Nothing from the host gets in: no binds, mounts, volumes or devices anywhere in the body.
    expect(JSON.stringify(create)).not.toMatch(/"(Binds|Mounts|Volumes|Devices|VolumesFrom)"/);
    expect(create.NetworkDisabled).toBe(true);
    expect(create.Labels).toEqual({ 'com.twinmcp.collab.sandbox': 'code-execution', 'com.twinmcp.collab.sandbox.language': language });
    expect(decodedCode(create)).toBe(code);
    // The environment is ours alone: the source's chunks and what the toolchain needs, nothing of this process.
    for (const entry of create.Env ?? []) expect(entry).toMatch(/^(HOME=\/tmp|LANG=C\.UTF-8|SANDBOX_CODE_\d+=|GO[A-Z]+=)/);
    // The source travels in the body only, never in a URL a proxy would log.
    expect(engine.requestsTo('POST', /^\/containers\/create$/)[0]!.query).toEqual({});
    expectAllRemoved();
  });

  it('runs each language with its interpreter, TypeScript through node type stripping and Go compiled in the container', async () => {
    const commands: Record<string, string> = {};
    for (const language of LANGUAGES) {
      await backend.run(request({ language }));
      const creates = engine.requestsTo('POST', /^\/containers\/create$/);
      const create = creates[creates.length - 1]!.body as CreateBody;
      expect(create.Entrypoint).toEqual(['/bin/sh', '-c']);
      commands[language] = ((create.Cmd as string[])[0] ?? '').split('\n').pop() ?? '';
    }
    expect(commands).toEqual({
      javascript: 'exec node /tmp/program.js',
      typescript: 'exec node --experimental-transform-types --disable-warning=ExperimentalWarning /tmp/program.ts',
      python: 'exec python3 /tmp/program.py',
      ruby: 'exec ruby /tmp/program.rb',
      go: 'exec go run /tmp/program.go',
      bash: 'exec bash /tmp/program.sh',
    });
  });

  it('splits a 256 KiB program over environment variables each under the kernel limit of 128 KiB', async () => {
    const code = 'x = "é"\n'.repeat((256 * 1024) / 9);
    await backend.run(request({ code }));

    const create = onlyCreateBody();
    const chunks = (create.Env ?? []).filter((entry) => entry.startsWith('SANDBOX_CODE_'));
    expect(chunks.length).toBeGreaterThan(2);
    for (const entry of chunks) expect(Buffer.byteLength(entry)).toBeLessThan(128 * 1024);
    expect(decodedCode(create)).toBe(code);
  });
});

describe('DockerBackend runs', () => {
  it('delivers stdin, keeps stdout and stderr apart and reports the exit code', async () => {
    const stdin = 'line one\n'.repeat(120_000); // ~1 MiB: several socket writes
    engine.behaviour = (_create, received) => ({
      output: [
        { stream: 'stdout', data: `got ${received.length} bytes\n` },
        { stream: 'stderr', data: 'warning: something\n' },
        { stream: 'stdout', data: received.subarray(0, 9) },
      ],
      exitCode: 3,
    });

    const result = await backend.run(request({ stdin }));

    expect(result).toMatchObject({
      stdout: `got ${Buffer.byteLength(stdin)} bytes\nline one\n`,
      stderr: 'warning: something\n',
      exitCode: 3,
      signal: null,
      limit: null,
      truncated: { stdout: false, stderr: false },
    });
    expect(engine.requestsTo('POST', /\/attach$/)[0]!.query).toMatchObject({
      stream: 'true',
      stdin: 'true',
      stdout: 'true',
      stderr: 'true',
    });
    expectAllRemoved();
  });

  it('kills a program that outlives its wall time, reports the time limit and removes the container', async () => {
    engine.behaviour = () => ({ output: [{ stream: 'stdout', data: 'started\n' }], end: 'hang' });

    const result = await backend.run(request({ limits: { ...LIMITS, wallTimeMs: 300 } }));

    expect(result).toMatchObject({ stdout: 'started\n', exitCode: null, signal: 'SIGKILL', limit: 'time' });
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(engine.requestsTo('POST', /\/kill$/).map((kill) => kill.query)).toEqual([{ signal: 'SIGKILL' }]);
    expectAllRemoved();
  });

  it('reports the memory limit when the engine says the OOM killer ended the container', async () => {
    engine.behaviour = () => ({ exitCode: 137, isOomKilled: true });

    const result = await backend.run(request());

    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'memory' });
    expect(engine.requestsTo('GET', /^\/containers\/[^/]+\/json$/)).toHaveLength(1);
    expectAllRemoved();
  });

  it('reports the time limit when the CPU-seconds rlimit ends the program (SIGXCPU)', async () => {
    engine.behaviour = () => ({ exitCode: 128 + 24 });

    expect(await backend.run(request())).toMatchObject({ exitCode: null, signal: 'SIGXCPU', limit: 'time' });
  });

  it('stops an output flood at the cap: killed, truncated, limit output', async () => {
    engine.behaviour = () => ({ output: [{ stream: 'stderr', data: 'flooding\n' }], end: 'flood' });

    const result = await backend.run(request({ limits: { ...LIMITS, outputBytes: 4096, wallTimeMs: 20_000 } }));

    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'output', stderr: 'flooding\n' });
    expect(result.truncated).toEqual({ stdout: true, stderr: false });
    expect(result.stdout).toBe('y\n'.repeat(2048));
    expect(engine.requestsTo('POST', /\/kill$/)).toHaveLength(1);
    expectAllRemoved();
  });

  it('kills runs still in flight on close() and removes their containers', async () => {
    engine.behaviour = () => ({ end: 'hang' });
    const running = backend.run(request({ limits: { ...LIMITS, wallTimeMs: 30_000 } }));
    await waitFor(() => engine.requestsTo('POST', /\/start$/).length === 1);

    await backend.close();

    expect(await running).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: null });
    expectAllRemoved();
    await expect(backend.run(request())).rejects.toThrow('DockerBackend is closed');
  });
});

describe('DockerBackend engine failures', () => {
  it('rejects a run whose image is missing with a message naming the image, leaving no container', async () => {
    backend = new DockerBackend({ socketPath: engine.socketPath, images: { ruby: 'ruby:9.9-missing' }, log });

    await expect(backend.run(request({ language: 'ruby' }))).rejects.toThrow(
      'Docker image ruby:9.9-missing for ruby is not on the engine; pull it first (docker pull ruby:9.9-missing)',
    );
    expect(engine.liveContainerIds()).toEqual([]);
  });

  it('rejects a run the engine fails to start and still removes its container', async () => {
    await engine.close();
    engine = await startDockerEngine({
      images: { [DEFAULT_IMAGES.bash]: [] },
      startFailure: { status: 500, message: 'OCI runtime create failed: permission denied' },
    });
    backend = new DockerBackend({ socketPath: engine.socketPath, images: {}, log });

    await expect(backend.run(request({ language: 'bash' }))).rejects.toThrow('OCI runtime create failed: permission denied');
    expect(engine.requestsTo('POST', /^\/containers\/create$/)).toHaveLength(1);
    expectAllRemoved();
  });

  it('start() pings the engine and fails loudly, naming the socket, when nothing listens there', async () => {
    await backend.start();
    expect(engine.requestsTo('GET', /^\/_ping$/)).toHaveLength(1);

    const dir = await mkdtemp(path.join(tmpdir(), 'no-docker-'));
    try {
      const socketPath = path.join(dir, 'docker.sock');
      const unreachable = new DockerBackend({ socketPath, images: {}, log });
      await expect(unreachable.start()).rejects.toThrow(`Docker engine unreachable at ${socketPath}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists the languages whose image is on the engine, with the runtime version from the image or its tag', async () => {
    await engine.close();
    engine = await startDockerEngine({ images: { [CUSTOM_PYTHON]: ['PATH=/usr/bin', 'PYTHON_VERSION=3.12.7'], 'node:22-alpine': [] } });
    backend = new DockerBackend({ socketPath: engine.socketPath, images: { python: CUSTOM_PYTHON }, log });

    expect(await backend.runtimes()).toEqual([
      { language: 'javascript', version: '22-alpine' },
      { language: 'typescript', version: '22-alpine' },
      { language: 'python', version: '3.12.7' },
    ]);
    expect(engine.requestsTo('GET', /^\/images\/.+\/json$/).map((inspect) => inspect.path)).toContain(`/images/${CUSTOM_PYTHON}/json`);
  });
});

/** Polls until `condition` holds, up to a deadline generous enough for a loaded machine. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
