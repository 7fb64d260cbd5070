import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { BubblewrapBackend } from './process/BubblewrapBackend.ts';
import { DockerBackend } from './docker/DockerBackend.ts';
import { IsolateBackend } from './isolate/IsolateBackend.ts';
import { LANGUAGES, type Language, type LanguageRuntime, type RunRequest, type RunResult, type SandboxBackend } from './types.ts';

/** A language this deployment runs, and on which backend. */
export interface AvailableRuntime extends LanguageRuntime {
  backend: string;
}

/**
 * The backends of one process, by language: on `local`, JavaScript and TypeScript in isolated-vm worker
 * processes and the other languages under bubblewrap; on `docker`, every language in a container. Nothing
 * starts until the first run (or `start()`, which the servers' entry points call to warm up), so a
 * process that never runs code — a collab node, a test of something else — forks no workers.
 */
export class CodeSandbox {
  private readonly backends: Map<Language, SandboxBackend>;
  private starting?: Promise<void>;
  private runtimeList?: Promise<AvailableRuntime[]>;
  private closed = false;

  constructor(backends: Map<Language, SandboxBackend>) {
    this.backends = backends;
  }

  static fromConfig(config: Config, log: Logger): CodeSandbox {
    const child = log.child({ module: 'sandbox' });
    if (config.CODE_EXEC_BACKEND === 'docker') {
      const docker = new DockerBackend({ socketPath: config.CODE_EXEC_DOCKER_SOCKET, images: config.CODE_EXEC_DOCKER_IMAGES, log: child });
      return new CodeSandbox(new Map(LANGUAGES.map((language) => [language, docker])));
    }
    const isolates = new IsolateBackend({ workers: config.CODE_EXEC_JS_WORKERS, sandboxUid: config.CODE_EXEC_SANDBOX_UID, log: child });
    const processes = new BubblewrapBackend({
      sandboxUid: config.CODE_EXEC_SANDBOX_UID,
      slots: config.CODE_EXEC_CONCURRENCY,
      fileBytes: config.CODE_EXEC_FILE_BYTES,
      programBytes: config.CODE_EXEC_CODE_BYTES,
      log: child,
    });
    return new CodeSandbox(
      new Map<Language, SandboxBackend>([
        ['javascript', isolates],
        ['typescript', isolates],
        ['python', processes],
        ['ruby', processes],
        ['go', processes],
        ['bash', processes],
      ]),
    );
  }

  private distinctBackends(): SandboxBackend[] {
    return [...new Set(this.backends.values())];
  }

  /** Starts every backend once; a backend that fails to start fails the run that needed it, loudly. */
  start(): Promise<void> {
    if (!this.starting) {
      this.starting = Promise.all(this.distinctBackends().map((backend) => backend.start())).then(() => undefined);
      // A failed start is tried again by the next run rather than remembered.
      this.starting.catch(() => (this.starting = undefined));
    }
    return this.starting;
  }

  /** What runs here, with each runtime's version and backend; a language whose runtime is missing is left out. */
  runtimes(): Promise<AvailableRuntime[]> {
    this.runtimeList ??= this.start()
      .then(() => Promise.all(this.distinctBackends().map(async (backend) => ({ backend, runtimes: await backend.runtimes() }))))
      .then((found) =>
        LANGUAGES.flatMap((language) => {
          const backend = this.backends.get(language);
          const runtime = found.find((entry) => entry.backend === backend)?.runtimes.find((r) => r.language === language);
          return runtime && backend ? [{ ...runtime, backend: backend.name }] : [];
        }),
      );
    this.runtimeList.catch(() => (this.runtimeList = undefined));
    return this.runtimeList;
  }

  /**
   * Starts the backends in the background so the first run does not pay for forking workers and warming
   * caches; logs which languages run here, or why none do. Never throws: a run would retry the start.
   */
  warmUp(log: Logger): void {
    this.runtimes().then(
      (runtimes) => log.info({ runtimes: runtimes.map((r) => `${r.language} ${r.version} (${r.backend})`) }, 'code sandbox ready'),
      (error: unknown) => log.warn({ err: error }, 'code sandbox could not start; runs will try again'),
    );
  }

  /** The backend a language runs on. */
  backendName(language: Language): string {
    return this.backends.get(language)!.name;
  }

  async run(request: RunRequest): Promise<RunResult> {
    if (this.closed) throw new Error('The code sandbox is closed');
    await this.start();
    return this.backends.get(request.language)!.run(request);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.distinctBackends().map((backend) => backend.close()));
  }
}
