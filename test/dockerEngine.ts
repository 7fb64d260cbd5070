/**
 * A stand-in for the Docker Engine API, on a unix socket in a temp dir of its own. It is a protocol
 * stand-in, because no Docker engine runs on this machine: it answers exactly the endpoints the docker
 * sandbox backend calls through dockerode 5 (unversioned paths, as docker-modem sends them when no
 * `version` is configured), records every request so tests can assert the wire format, and "runs" a
 * container by a script the test chooses. It executes no code and enforces no limit: what it proves is
 * what the backend asks an engine for and how it reacts to an engine's answers.
 *
 * Attach follows the engine: `Connection: Upgrade` answered with `101 UPGRADED`, then the raw socket
 * carries stdin one way and 8-byte-header frames (stream type, 3 zero bytes, big-endian length) the
 * other; the client half-closing its side is the end of stdin (`StdinOnce`). dockerode also sends its
 * attach options as a JSON body first, which the engine drops with the rest of the hijacked request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

export interface RecordedRequest {
  method: string;
  /** The path as sent, without the query. */
  path: string;
  query: Record<string, string>;
  /** The JSON body, parsed; undefined when there was none. */
  body: unknown;
}

/** What a scripted container does once started and its stdin is closed. */
export interface ScriptedRun {
  /** Frames written in this order. */
  output?: Array<{ stream: 'stdout' | 'stderr'; data: string | Buffer }>;
  /** 'exit' (the default) ends with `exitCode`; 'hang' runs until killed; 'flood' writes stdout until killed. */
  end?: 'exit' | 'hang' | 'flood';
  exitCode?: number;
  /** Reported as `State.OOMKilled`. */
  isOomKilled?: boolean;
}

/** The create body the backend sent, typed loosely: tests assert on it. */
export type CreateBody = Record<string, unknown> & { HostConfig?: Record<string, unknown>; Env?: string[]; Image?: string };

export type ContainerBehaviour = (create: CreateBody, stdin: Buffer) => ScriptedRun;

interface StandInContainer {
  id: string;
  create: CreateBody;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  isOomKilled: boolean;
  attached?: Socket;
  stdin: Buffer[];
  isStdinClosed: boolean;
  waiters: Array<() => void>;
}

export interface DockerEngineOptions {
  /** Images present on the engine, each with its `Config.Env`. */
  images?: Record<string, string[]>;
  behaviour?: ContainerBehaviour;
  /** Makes every `POST /containers/{id}/start` fail with this status and message. */
  startFailure?: { status: number; message: string };
}

export class DockerEngineStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly containers = new Map<string, StandInContainer>();
  /** Ids of containers removed through DELETE, in order. */
  readonly removedIds: string[] = [];
  behaviour: ContainerBehaviour;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly socketPath: string,
    private readonly dir: string,
    private readonly server: http.Server,
    private readonly options: DockerEngineOptions,
  ) {
    this.behaviour = options.behaviour ?? (() => ({}));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.onAttach(req, socket, head));
  }

  /** The requests with this method whose path matches. */
  requestsTo(method: string, pathPattern: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && pathPattern.test(request.path));
  }

  /** Containers created and not removed. */
  liveContainerIds(): string[] {
    return [...this.containers.keys()];
  }

  async close(): Promise<void> {
    for (const container of this.containers.values()) this.finish(container, 137);
    this.sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private record(req: http.IncomingMessage, body: unknown): { route: string; query: URLSearchParams } {
    const url = new URL(req.url ?? '/', 'http://engine');
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body });
    return { route: url.pathname.replace(/^\/v\d+\.\d+/, ''), query: url.searchParams };
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const { route, query } = this.record(req, text ? JSON.parse(text) : undefined);
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const containerRoute = /^\/containers\/([^/]+)(?:\/(start|wait|kill|json))?$/.exec(route);
    const imageRoute = /^\/images\/(.+)\/json$/.exec(route);
    if (req.method === 'GET' && route === '/_ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.47' });
      res.end('OK');
    } else if (req.method === 'GET' && imageRoute) {
      const env = this.options.images?.[imageRoute[1]!];
      if (env) reply(200, { Id: `sha256:${imageRoute[1]}`, RepoTags: [imageRoute[1]], Config: { Env: env } });
      else reply(404, { message: `No such image: ${imageRoute[1]}` });
    } else if (req.method === 'POST' && route === '/containers/create') {
      this.create(JSON.parse(text) as CreateBody, reply);
    } else if (containerRoute) {
      const container = this.containers.get(containerRoute[1]!);
      if (!container) return reply(404, { message: `No such container: ${containerRoute[1]}` });
      this.onContainerRequest(container, `${req.method} ${containerRoute[2] ?? ''}`, query, reply);
    } else {
      reply(404, { message: 'page not found' });
    }
  }

  private create(body: CreateBody, reply: (status: number, body?: unknown) => void): void {
    if (!body.Image || !this.options.images?.[body.Image]) return reply(404, { message: `No such image: ${body.Image}` });
    const id = randomUUID().replaceAll('-', '');
    this.containers.set(id, {
      id,
      create: body,
      status: 'created',
      exitCode: 0,
      isOomKilled: false,
      stdin: [],
      isStdinClosed: false,
      waiters: [],
    });
    reply(201, { Id: id, Warnings: [] });
  }

  private onContainerRequest(
    container: StandInContainer,
    action: string,
    query: URLSearchParams,
    reply: (status: number, body?: unknown) => void,
  ): void {
    const isRunning = container.status === 'running';
    switch (action) {
      case 'POST start':
        if (this.options.startFailure) return reply(this.options.startFailure.status, { message: this.options.startFailure.message });
        container.status = 'running';
        this.runWhenReady(container);
        return reply(204);
      case 'POST wait':
        if (container.status === 'exited') return reply(200, { StatusCode: container.exitCode, Error: null });
        container.waiters.push(() => reply(200, { StatusCode: container.exitCode, Error: null }));
        return;
      case 'POST kill':
        if (!isRunning) return reply(409, { message: `Container ${container.id} is not running` });
        this.finish(container, 128 + 9);
        return reply(204);
      case 'GET json':
        return reply(200, {
          Id: container.id,
          State: { Status: container.status, Running: isRunning, OOMKilled: container.isOomKilled, ExitCode: container.exitCode },
          Config: { ...container.create, HostConfig: undefined },
          HostConfig: container.create.HostConfig,
        });
      case 'DELETE ':
        if (isRunning && query.get('force') !== 'true') return reply(409, { message: `Container ${container.id} is running` });
        this.finish(container, 137);
        this.containers.delete(container.id);
        this.removedIds.push(container.id);
        return reply(204);
      default:
        return reply(404, { message: 'page not found' });
    }
  }

  private onAttach(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    this.record(req, undefined);
    const id = /^(?:\/v\d+\.\d+)?\/containers\/([^/]+)\/attach/.exec(req.url ?? '')?.[1];
    const container = id ? this.containers.get(id) : undefined;
    if (!container) return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    container.attached = socket;
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    // The request's own body (dockerode's options as JSON) comes first on the socket; it is not stdin.
    let bodyLeft = Number(req.headers['content-length'] ?? 0);
    const onData = (chunk: Buffer) => {
      const skipped = Math.min(bodyLeft, chunk.length);
      bodyLeft -= skipped;
      if (chunk.length > skipped) container.stdin.push(chunk.subarray(skipped));
    };
    onData(head);
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.on('end', () => {
      container.isStdinClosed = true;
      this.runWhenReady(container);
    });
  }

  private runWhenReady(container: StandInContainer): void {
    if (container.status !== 'running' || (container.attached && !container.isStdinClosed)) return;
    const script = this.behaviour(container.create, Buffer.concat(container.stdin));
    for (const frame of script.output ?? []) this.writeFrame(container, frame.stream, Buffer.from(frame.data));
    if (script.end === 'flood') return this.flood(container);
    if (script.end === 'hang') return;
    container.isOomKilled = script.isOomKilled ?? false;
    this.finish(container, script.exitCode ?? 0);
  }

  private flood(container: StandInContainer): void {
    const line = Buffer.from('y\n'.repeat(8192));
    const next = () => {
      if (container.status !== 'running') return;
      if (this.writeFrame(container, 'stdout', line)) setImmediate(next);
      else container.attached?.once('drain', next);
    };
    next();
  }

  private writeFrame(container: StandInContainer, stream: 'stdout' | 'stderr', data: Buffer): boolean {
    const socket = container.attached;
    if (!socket || socket.destroyed) return false;
    const header = Buffer.alloc(8);
    header.writeUInt8(stream === 'stdout' ? 1 : 2, 0);
    header.writeUInt32BE(data.length, 4);
    return socket.write(Buffer.concat([header, data]));
  }

  private finish(container: StandInContainer, exitCode: number): void {
    if (container.status === 'exited') return;
    container.status = 'exited';
    container.exitCode = exitCode;
    container.attached?.end();
    container.waiters.splice(0).forEach((wake) => wake());
  }
}

/** Starts a stand-in engine on a fresh socket in its own temp dir. */
export async function startDockerEngine(options: DockerEngineOptions = {}): Promise<DockerEngineStandIn> {
  const dir = await mkdtemp(path.join(tmpdir(), 'docker-engine-'));
  const socketPath = path.join(dir, 'docker.sock');
  const server = http.createServer();
  const engine = new DockerEngineStandIn(socketPath, dir, server, options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return engine;
}
