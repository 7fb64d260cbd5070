/**
 * Runs each program in its own Docker container, for operators who have an engine
 * (`CODE_EXEC_BACKEND=docker`). What it defends against, and how:
 * - network access (the database, Redis, the API itself, DNS): `NetworkMode: none`, no interfaces but lo;
 * - reading or writing the host: no binds, a read-only root, only a size-capped tmpfs at /tmp (nosuid, nodev);
 * - privilege: uid/gid 65534, every capability dropped, `no-new-privileges` (setuid binaries stay unprivileged);
 * - memory, fork and file bombs: a memory cgroup without swap, `PidsLimit`, rlimits on open files,
 *   processes, file size and CPU seconds, one CPU;
 * - sleeping, spinning and flooding: a wall-time timer and an output cap, both ending in a SIGKILL;
 * - leftovers: every container is removed with `force` after its run, whatever happened, so no zombie,
 *   orphan or file survives it.
 * It does not defend against a kernel or engine escape (containers share the host's kernel: use gVisor's
 * runsc as the engine's runtime for that), nor against whoever can reach the engine's socket, which is root.
 *
 * No engine runs on the development machine: this backend is tested only against `test/dockerEngine.ts`,
 * a stand-in that checks the Docker Engine API requests dockerode sends, not against a real engine.
 */
import { Writable, type Duplex } from 'node:stream';
import Docker, { type Container } from 'dockerode';
import type { Logger } from '../../logger.ts';
import { OutputCollector } from '../OutputCollector.ts';
import { LANGUAGES, type Language, type LanguageRuntime, type RunRequest, type RunResult, type SandboxBackend } from '../types.ts';
import { containerConfig } from './containerConfig.ts';
import { exitStatus } from './exitStatus.ts';
import { DEFAULT_IMAGES, LANGUAGE_COMMANDS } from './languageCommands.ts';
import { runtimeVersion } from './runtimeVersion.ts';
import { engineErrorStatus, withinMs } from './engineCalls.ts';

export interface DockerBackendOptions {
  /** The engine's unix socket, e.g. `/var/run/docker.sock`. */
  socketPath: string;
  /** Images that replace the defaults (`DEFAULT_IMAGES`), per language. */
  images: Partial<Record<Language, string>>;
  log: Logger;
}

/** How long a killed container may take to be reported as stopped before we remove it anyway. */
const KILL_GRACE_MS = 5_000;
/** How long the attach stream may trail the container's exit: output already written is still in flight. */
const OUTPUT_DRAIN_MS = 2_000;

export class DockerBackend implements SandboxBackend {
  readonly name = 'docker';
  private readonly docker: Docker;
  private readonly images: Record<Language, string>;
  private readonly log: Logger;
  private readonly socketPath: string;
  /** Containers of runs in flight, so that close() can kill them, and the runs themselves, so that it can wait for their removal. */
  private readonly running = new Map<Container, Promise<unknown>>();
  private isClosed = false;

  constructor(options: DockerBackendOptions) {
    this.socketPath = options.socketPath;
    // host: undefined explicitly, or docker-modem would take DOCKER_HOST from the environment and ignore
    // the socket: the configured socket is the only engine this backend talks to.
    this.docker = new Docker({ socketPath: options.socketPath, host: undefined, protocol: 'http' });
    this.images = { ...DEFAULT_IMAGES, ...options.images };
    this.log = options.log.child({ module: 'sandbox.docker' });
  }

  async start(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      const reason = (error as Error).message;
      const hint = 'CODE_EXEC_BACKEND=docker needs a running engine on that socket';
      throw new Error(`Docker engine unreachable at ${this.socketPath} (${reason}); ${hint}`, { cause: error });
    }
  }

  async runtimes(): Promise<LanguageRuntime[]> {
    const found = await Promise.all(LANGUAGES.map((language) => this.findRuntime(language)));
    return found.filter((runtime): runtime is LanguageRuntime => runtime !== null);
  }

  async run(request: RunRequest): Promise<RunResult> {
    if (this.isClosed) throw new Error('DockerBackend is closed');
    const startedAt = performance.now();
    const container = await this.createContainer(request);
    // close() came while the engine was creating it: close() could not see it, so nobody would kill it.
    if (this.isClosed) {
      await this.remove(container);
      throw new Error('DockerBackend is closed');
    }
    const running = this.runAndRemove(container, request, startedAt);
    this.running.set(container, running);
    try {
      return await running;
    } finally {
      this.running.delete(container);
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const runs = [...this.running];
    await Promise.all(runs.map(([container]) => this.kill(container)));
    await Promise.allSettled(runs.map(([, run]) => run));
  }

  private async findRuntime(language: Language): Promise<LanguageRuntime | null> {
    const image = this.images[language];
    try {
      const info = await this.docker.getImage(image).inspect();
      return { language, version: runtimeVersion(image, info.Config?.Env ?? [], LANGUAGE_COMMANDS[language].versionVariable) };
    } catch (error) {
      if (engineErrorStatus(error) === 404) return null;
      throw new Error(`Docker engine at ${this.socketPath} could not inspect image ${image}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async createContainer(request: RunRequest): Promise<Container> {
    const image = this.images[request.language];
    try {
      // _query/_body: dockerode would otherwise also put the whole create body, the program's source
      // included, into the URL (docker-modem › dial builds the query from the same options).
      const options = { _query: {}, _body: containerConfig(image, request) };
      return await this.docker.createContainer(options as Docker.ContainerCreateOptions);
    } catch (error) {
      const message =
        engineErrorStatus(error) === 404
          ? `Docker image ${image} for ${request.language} is not on the engine; pull it first (docker pull ${image})`
          : `Docker engine refused to create a ${request.language} container: ${(error as Error).message}`;
      throw new Error(message, { cause: error });
    }
  }

  private async runAndRemove(container: Container, request: RunRequest, startedAt: number): Promise<RunResult> {
    try {
      return await this.runContainer(container, request, startedAt);
    } finally {
      await this.remove(container);
    }
  }

  private async runContainer(container: Container, request: RunRequest, startedAt: number): Promise<RunResult> {
    const { limits } = request;
    let killedFor: 'time' | 'output' | null = null;
    let onKilled: () => void = () => undefined;
    const killed = new Promise<void>((resolve) => (onKilled = resolve));
    const stop = (limit: 'time' | 'output') => {
      if (killedFor) return;
      killedFor = limit;
      onKilled();
      void this.kill(container);
    };
    const stdout = new OutputCollector(limits.outputBytes, () => stop('output'));
    const stderr = new OutputCollector(limits.outputBytes, () => stop('output'));

    // With hijack, dockerode resolves the upgraded socket itself (docker-modem › buildRequest, 'upgrade'): a Duplex we may half-close.
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    // A program that exits without reading its stdin closes the socket under our write: EPIPE is expected.
    stream.on('error', (error) => this.log.debug({ containerId: container.id, err: error }, 'attach stream error'));
    const streamEnded = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
    });
    this.docker.modem.demuxStream(stream, collectorSink(stdout), collectorSink(stderr));
    let timer: NodeJS.Timeout | undefined;
    try {
      await container.start();
      timer = setTimeout(() => stop('time'), limits.wallTimeMs);
      stream.end(request.stdin);
      const exited = container.wait();
      await Promise.race([exited, killed]);
      // After a kill the engine should report the exit at once; if it does not, we remove the container anyway.
      if (killedFor) await withinMs(exited, KILL_GRACE_MS);
      await withinMs(streamEnded, OUTPUT_DRAIN_MS);
    } finally {
      clearTimeout(timer);
      stream.destroy();
    }
    const state = (await container.inspect()).State;
    const status = exitStatus({ exitCode: state.ExitCode, isOomKilled: state.OOMKilled, killedFor });
    this.log.info(
      { containerId: container.id, language: request.language, exitCode: status.exitCode, limit: status.limit },
      'container run',
    );
    return {
      stdout: stdout.text(),
      stderr: stderr.text(),
      ...status,
      durationMs: Math.round(performance.now() - startedAt),
      truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
    };
  }

  /** SIGKILL; a container that already stopped (409) or is gone (404) is fine. */
  private async kill(container: Container): Promise<void> {
    try {
      await container.kill({ signal: 'SIGKILL' });
    } catch (error) {
      const status = engineErrorStatus(error);
      if (status !== 404 && status !== 409) this.log.warn({ containerId: container.id, err: error }, 'container kill failed');
    }
  }

  /** Always runs, after success or failure alike; a failure is logged, not thrown, so it never hides the run's own outcome. */
  private async remove(container: Container): Promise<void> {
    try {
      await container.remove({ force: true });
    } catch (error) {
      if (engineErrorStatus(error) !== 404) this.log.error({ containerId: container.id, err: error }, 'container removal failed');
    }
  }
}

/** A writable end for demuxStream that feeds one collector. */
function collectorSink(collector: OutputCollector): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      collector.push(chunk);
      done();
    },
  });
}
