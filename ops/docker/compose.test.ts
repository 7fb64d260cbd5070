import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { parseConfig } from '@shared/config.ts';

const run = promisify(execFile);

/*
 * No Docker engine runs on this machine, so nothing here builds an image or starts a container. These
 * checks read the files an operator would run and catch what breaks a deployment before it starts: a
 * service missing, a variable the product does not read (silently ignored) or with a value it refuses,
 * a dependency on a health check that does not exist, a stage or file the Dockerfile cannot find.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const read = (file: string) => fs.readFileSync(path.resolve(HERE, file), 'utf8');

interface Healthcheck {
  test?: string[];
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  restart?: string;
}

/** KEY=VALUE lines of ops/docker/.env.example, which an operator copies to .env. */
function exampleEnv(): Record<string, string> {
  const lines = read('.env.example')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/**
 * Compose's interpolation, applied like compose to every string after parsing: `${X}`, `${X:-default}`,
 * `${X:?error}` (unset or empty counts as missing), `$$` for a literal `$`.
 */
function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]));
  }
  if (typeof value !== 'string') return value;
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (match, name?: string, kind?: string, rest?: string) => {
    if (match === '$$') return '$';
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (kind === '-') return rest!;
    throw new Error(`compose.yaml needs ${name} (${rest ?? 'no default'}) and .env.example does not set it`);
  });
}

const compose = interpolate(parse(read('compose.yaml'), { merge: true }), exampleEnv()) as { services: Record<string, Service> };
const services = compose.services;
const APP_SERVICES = ['api1', 'api2', 'collab1', 'collab2'];

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(file: string): { keyword: string; args: string }[] {
  return read(file)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** Every `FROM <image> AS <name>` in order; checks that each stage a FROM or `--from=` names is defined above it. */
function checkStages(file: string): { stages: string[]; final: ReturnType<typeof instructions> } {
  const stages: string[] = [];
  let final: ReturnType<typeof instructions> = [];
  const args = new Set<string>();
  for (const instruction of instructions(file)) {
    if (instruction.keyword === 'ARG' && stages.length === 0) args.add(instruction.args.split('=')[0]!);
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      const variable = /^\$\{(\w+)\}$/.exec(image!)?.[1];
      // A base is an earlier stage, a global ARG, or an external image with an explicit tag.
      if (variable) expect(args).toContain(variable);
      else if (!stages.includes(image!)) expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
      if (as) {
        expect(as.toUpperCase()).toBe('AS');
        stages.push(name!);
      }
      final = [];
    }
    final.push(instruction);
    const from = /--from=(\S+)/.exec(instruction.args)?.[1];
    if (from) expect(stages.slice(0, -1)).toContain(from);
  }
  return { stages, final };
}

describe('compose.yaml', () => {
  it('has two REST nodes, two collab nodes, Redis, a pg_auto_failover monitor with two data nodes, MinIO and a load balancer', () => {
    for (const name of [...APP_SERVICES, 'redis', 'monitor', 'pg1', 'pg2', 'minio', 'lb']) expect(services).toHaveProperty(name);
    expect(services.api1!.command).toEqual(['api']);
    expect(services.api2!.command).toEqual(['api']);
    expect(services.collab1!.command).toEqual(['collab']);
    expect(services.collab2!.command).toEqual(['collab']);
    expect(services.monitor!.environment).toMatchObject({ PGAF_ROLE: 'monitor' });
    for (const node of ['pg1', 'pg2']) expect(services[node]!.environment).toMatchObject({ PGAF_ROLE: 'postgres', PGAF_HOSTNAME: node });
    expect(services.minio!.image).toMatch(/^minio\/minio:/);
  });

  it.each(APP_SERVICES)('gives %s only variables the product reads, with values it accepts', (name) => {
    const environment = Object.fromEntries(
      Object.entries(services[name]!.environment ?? {}).map(([key, value]) => [key, String(value ?? '')]),
    );
    // parseConfig throws on a value it refuses, and keeps only the names its schema knows.
    const config = parseConfig(environment);
    const set = Object.keys(environment).filter((key) => environment[key] !== '');
    expect(set.filter((key) => !(key in config))).toEqual([]);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(Object.keys(environment).filter((key) => !readme.includes(`\`${key}\``))).toEqual([]);
    expect(config.NODE_ENV).toBe('production');
  });

  it('points the app nodes at both data nodes, Redis and MinIO by their service names', () => {
    for (const name of APP_SERVICES) {
      const environment = services[name]!.environment!;
      const database = String(environment.DATABASE_URL);
      expect(database).toMatch(/^postgres:\/\/[^@]+@pg1:5432,pg2:5432\/twinmcp\?target_session_attrs=read-write$/);
      expect(new URL(String(environment.REDIS_URL)).hostname).toBe('redis');
      expect(new URL(String(environment.S3_ENDPOINT)).hostname).toBe('minio');
      expect(String(environment.COLLAB_PUBLIC_URL)).toMatch(/^wss?:\/\/.+\/collab$/);
    }
    // The database the data nodes create is the one the URL names.
    expect(services.pg1!.environment!.PGAF_DBNAME).toBe('twinmcp');
  });

  it('gives every long-running service a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.restart === 'no') continue;
      expect({ name, test: service.healthcheck?.test?.[0] }).toEqual({ name, test: 'CMD' });
    }
    for (const name of APP_SERVICES)
      expect(services[name]!.healthcheck!.test).toEqual(['CMD', '/app/ops/docker/entrypoint.sh', 'healthcheck']);
  });

  it('depends only on services that exist, healthy ones on a health check, completed ones on one-shots, without cycles', () => {
    for (const service of Object.values(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services).toHaveProperty(target);
        expect(['service_healthy', 'service_completed_successfully', 'service_started']).toContain(condition);
        if (condition === 'service_healthy')
          expect({ target, healthcheck: Boolean(services[target]!.healthcheck) }).toEqual({ target, healthcheck: true });
        if (condition === 'service_completed_successfully')
          expect({ target, restart: services[target]!.restart }).toEqual({ target, restart: 'no' });
      }
    }
    const visiting = new Set<string>();
    const visit = (name: string, trail: string[]) => {
      expect(trail).not.toContain(name);
      if (visiting.has(name)) return;
      visiting.add(name);
      for (const target of Object.keys(services[name]!.depends_on ?? {})) visit(target, [...trail, name]);
    };
    for (const name of Object.keys(services)) visit(name, []);
    // The app waits for the database, Redis and the buckets; the standby joins after the primary.
    for (const name of APP_SERVICES) expect(Object.keys(services[name]!.depends_on!).sort()).toEqual(['minio-init', 'pg1', 'pg2', 'redis']);
    expect(services.pg2!.depends_on).toHaveProperty('pg1');
    expect(services.pg1!.depends_on).toHaveProperty('monitor');
  });

  it('builds from files that exist and mounts a Caddyfile whose upstreams are the app services', () => {
    for (const service of Object.values(services)) {
      if (!service.build) continue;
      const context = path.resolve(HERE, service.build.context);
      expect(fs.existsSync(path.join(context, service.build.dockerfile ?? 'Dockerfile'))).toBe(true);
    }
    const caddyMount = services.lb!.volumes!.find((volume) => volume.endsWith(':/etc/caddy/Caddyfile:ro'))!;
    const caddyfile = read(caddyMount.split(':')[0]!);
    expect(caddyfile).toMatch(
      /@collab path \/collab \/collab\/\*\s*handle @collab \{\s*uri strip_prefix \/collab\s*reverse_proxy collab1:1234 collab2:1234 \{/,
    );
    expect(caddyfile).toMatch(/handle \{\s*reverse_proxy api1:3000 api2:3000 \{/);
    expect(caddyfile.match(/health_uri \/healthz/g)).toHaveLength(2);
  });
});

describe('ops/docker/Dockerfile', () => {
  const final = instructions('Dockerfile').slice(instructions('Dockerfile').findLastIndex(({ keyword }) => keyword === 'FROM'));
  const finalText = final.map(({ keyword, args }) => `${keyword} ${args}`).join('\n');

  it('builds in stages: dependencies, the web client, production modules, a runtime', () => {
    const { stages } = checkStages('Dockerfile');
    expect(stages).toEqual(['deps', 'build', 'prod-deps', 'runtime']);
    expect(finalText).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(finalText).toMatch(/COPY --from=build \/app\/web\/dist/);
  });

  it('runs as a non-root user, with a health check and both servers as entry points', () => {
    const user = final.filter(({ keyword }) => keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(final.some(({ keyword, args }) => keyword === 'HEALTHCHECK' && args.includes('healthcheck'))).toBe(true);
    expect(final.find(({ keyword }) => keyword === 'CMD')?.args).toBe('["api"]');
    const entrypoint = read('entrypoint.sh');
    for (const role of ['api', 'collab', 'healthcheck']) expect(entrypoint).toMatch(new RegExp(`^\\s+${role}\\)`, 'm'));
    expect(entrypoint).toContain('rest-api/main.ts');
    expect(entrypoint).toContain('collab-server/main.ts');
    expect(fs.statSync(path.join(HERE, 'entrypoint.sh')).mode & 0o111).not.toBe(0);
  });

  it('installs the Debian packages the servers run (those .ci/run installs for them)', () => {
    const ciPackages = /APT_PACKAGES=\(([^)]*)\)/.exec(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8'))![1]!.split(/\s+/);
    const runtimePackages = [
      'ffmpeg',
      'flite',
      'pocketsphinx',
      'pocketsphinx-en-us',
      'bubblewrap',
      'pgbackrest',
      'zstd',
      'fonts-dejavu-core',
    ];
    for (const name of runtimePackages) {
      expect(ciPackages).toContain(name);
      expect(finalText).toMatch(new RegExp(`\\s${name}(\\s|$)`));
    }
  });

  it('copies only what exists in the build context and .dockerignore lets through', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const { keyword, args } of instructions('Dockerfile')) {
      if (keyword !== 'COPY' || args.startsWith('--from')) continue;
      const sources = args
        .split(/\s+/)
        .filter((arg) => !arg.startsWith('--'))
        .slice(0, -1);
      for (const source of sources.filter((s) => s !== '.')) {
        expect({ source, exists: fs.existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
        expect(ignored).not.toContain(source);
      }
    }
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', 'web/dist', '.env']));
  });
});

describe('ops/docker/postgres/Dockerfile', () => {
  it('is a pg_auto_failover node from Debian packages, run as postgres, with a health check', () => {
    const { final } = checkStages('postgres/Dockerfile');
    const text = final.map(({ keyword, args }) => `${keyword} ${args}`).join('\n');
    expect(text).toMatch(/^FROM debian:bookworm/);
    for (const name of ['postgresql-15', 'postgresql-15-auto-failover', 'pg-auto-failover-cli'])
      expect(text).toMatch(new RegExp(`\\s${name}(\\s|$)`));
    expect(final.filter(({ keyword }) => keyword === 'USER').at(-1)?.args).toBe('postgres');
    expect(final.some(({ keyword }) => keyword === 'HEALTHCHECK')).toBe(true);
  });

  it("applies README's failover tuning and never lowers synchronous_commit", () => {
    const entrypoint = read('postgres/entrypoint.sh');
    for (const setting of [
      'health_check_period=1000',
      'health_check_timeout=1000',
      'health_check_max_retries=1',
      'health_check_retry_delay=100',
      'node_considered_unhealthy_timeout=2000',
      'primary_demote_timeout=1000',
    ]) {
      expect(entrypoint).toContain(setting);
    }
    expect(entrypoint).toContain('timeout.network_partition_timeout 2');
    expect(entrypoint).toContain("wal_sender_timeout = '2s'");
    expect(entrypoint).not.toMatch(/synchronous_commit\s*=/);
    expect(entrypoint).toContain('pg_autoctl create monitor');
    expect(entrypoint).toContain('pg_autoctl create postgres');
    expect(entrypoint).toContain('pg_autoctl run');
  });

  it("gives each keeper's monitor link libpq's timeouts, unless the URI sets its own", async () => {
    const entrypoint = read('postgres/entrypoint.sh');
    const monitorLink = /^monitor_link\(\) \{\n[\s\S]*?\n\}$/m.exec(entrypoint)?.[0];
    expect(monitorLink).toBeDefined();
    const link = async (uri: string) => (await run('bash', ['-c', `${monitorLink}\nmonitor_link "$1"`, 'bash', uri])).stdout;
    const base = 'postgres://autoctl_node@monitor:5432/pg_auto_failover';
    expect(await link(`${base}?sslmode=disable`)).toBe(`${base}?sslmode=disable&connect_timeout=2&tcp_user_timeout=1000`);
    expect(await link(base)).toBe(`${base}?connect_timeout=2&tcp_user_timeout=1000`);
    expect(await link(`${base}?connect_timeout=5`)).toBe(`${base}?connect_timeout=5&tcp_user_timeout=1000`);
    expect(await link(`${base}?tcp_user_timeout=3000&connect_timeout=4`)).toBe(`${base}?tcp_user_timeout=3000&connect_timeout=4`);
  });
});
