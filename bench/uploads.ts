import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startRestApp } from './lib/servers.ts';
import { REPO_ROOT, startServer, type ChildServer } from './lib/childServer.ts';
import { uploadFileAsForm } from './lib/multipartUpload.ts';

/**
 * `npx tsx bench/uploads.ts [--size-mib=50] [--runs=5]`
 *
 * Upload throughput of one large file through `POST /api/conversations/:id/attachments` — into the
 * local directory driver, then into S3 (s3rver) — next to what the same bytes cost without the API in
 * the same run: `fs.copyFile` and a stream copy (plain, and fsynced as the driver does) for the
 * directory, a plain PutObject and a lib-storage Upload for S3. The REST app and s3rver each run in
 * their own process (as in production), the client and the baselines in this one. Rounds interleave
 * the methods so drift hits them alike. Prints a table and writes bench/results/uploads-<timestamp>.json.
 */
const { values } = parseArgs({ options: { 'size-mib': { type: 'string', default: '50' }, runs: { type: 'string', default: '5' } } });
const MIB = 1024 * 1024;
const SIZE = Number(values['size-mib']) * MIB;
const RUNS = Number(values.runs);
const ACCESS_KEY = 'S3RVER';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-bench-uploads-'));
const source = path.join(work, 'source.jpg');
// A JPEG's first bytes, then random ones: the API sniffs it as image/jpeg, and nothing compresses it.
fs.writeFileSync(source, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(SIZE - 4)]));
const sourceSha256 = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex');
const bucket = `bench-${crypto.randomBytes(4).toString('hex')}`;
const children: ChildServer[] = [];
const cleanups: Array<() => Promise<void>> = [];

type Method = { target: 'local' | 's3'; label: string; run: (round: number) => Promise<number> };
const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

try {
  const s3rver = await startServer('s3rver', { S3RVER_DIRECTORY: path.join(work, 's3rver'), S3RVER_BUCKET: bucket });
  children.push(s3rver);
  const s3Env = {
    S3_BUCKET: bucket,
    S3_ENDPOINT: s3rver.url,
    S3_ACCESS_KEY_ID: ACCESS_KEY,
    S3_SECRET_ACCESS_KEY: ACCESS_KEY,
    S3_FORCE_PATH_STYLE: 'true',
  };
  const localApi = await startApi({ STORAGE_DIR: path.join(work, 'api-objects') });
  const s3Api = await startApi(s3Env);
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: s3rver.url,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const copies = path.join(work, 'copies');
  fs.mkdirSync(copies);

  const methods: Method[] = [
    { target: 'local', label: 'fs.copyFile', run: (i) => timed(() => fs.promises.copyFile(source, path.join(copies, `copy-${i}`))) },
    {
      target: 'local',
      label: 'stream copy (pipeline)',
      run: (i) => timed(() => pipeline(fs.createReadStream(source), fs.createWriteStream(path.join(copies, `stream-${i}`)))),
    },
    // What the local driver does: its bytes are on disk (fsync) before the rename acknowledges them.
    {
      target: 'local',
      label: 'stream copy + fsync',
      run: (i) =>
        timed(() => pipeline(fs.createReadStream(source), fs.createWriteStream(path.join(copies, `synced-${i}`), { flush: true }))),
    },
    { target: 'local', label: 'API upload → local dir', run: () => localApi.upload() },
    {
      target: 's3',
      label: 'PutObject (file stream)',
      run: (i) =>
        timed(() =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: `put/${i}`, Body: fs.createReadStream(source), ContentLength: SIZE })),
        ),
    },
    {
      target: 's3',
      label: 'lib-storage Upload',
      run: (i) =>
        timed(() => new Upload({ client, params: { Bucket: bucket, Key: `upload/${i}`, Body: fs.createReadStream(source) } }).done()),
    },
    { target: 's3', label: 'API upload → S3 (s3rver)', run: () => s3Api.upload() },
  ];

  const times = new Map<Method, number[]>(methods.map((m) => [m, []]));
  for (let round = 0; round <= RUNS; round++) {
    for (const method of methods) {
      const ms = await method.run(round);
      if (round > 0) times.get(method)!.push(ms); // round 0 warms up
    }
    process.stdout.write(round === 0 ? 'warmed up' : ` ${round}`);
  }
  process.stdout.write('\n');
  client.destroy();

  const results = methods.map((method) => {
    const sorted = [...times.get(method)!].sort((a, b) => a - b);
    const medianMs = sorted[Math.floor(sorted.length / 2)]!;
    return {
      target: method.target,
      method: method.label,
      timesMs: times.get(method)!.map(round1),
      medianMs: round1(medianMs),
      minMs: round1(sorted[0]!),
      mibPerSecond: round1(SIZE / MIB / (medianMs / 1000)),
    };
  });
  const best = (target: string) =>
    Math.max(...results.filter((r) => r.target === target && !r.method.startsWith('API')).map((r) => r.mibPerSecond));
  console.log(
    `\n${SIZE / MIB} MiB, median of ${RUNS} runs (load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores)\n`,
  );
  console.log(
    `${'target'.padEnd(7)}${'method'.padEnd(28)}${'median ms'.padStart(10)}` +
      `${'min ms'.padStart(9)}${'MiB/s'.padStart(8)}${'of best baseline'.padStart(18)}`,
  );
  for (const r of results) {
    const share = `${Math.round((100 * r.mibPerSecond) / best(r.target))} %`;
    console.log(
      `${r.target.padEnd(7)}${r.method.padEnd(28)}${String(r.medianMs).padStart(10)}` +
        `${String(r.minMs).padStart(9)}${String(r.mibPerSecond).padStart(8)}${share.padStart(18)}`,
    );
  }
  const startedAt = new Date().toISOString();
  const file = path.join(REPO_ROOT, 'bench', 'results', `uploads-${startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  const report = {
    startedAt,
    commit: currentCommit(),
    node: process.version,
    cores: os.availableParallelism(),
    loadAverage: os.loadavg()[0],
    fileBytes: SIZE,
    runs: RUNS,
    results,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(REPO_ROOT, file)}`);
} finally {
  for (const child of children.reverse()) await child.stop();
  for (const cleanup of cleanups) await cleanup();
  fs.rmSync(work, { recursive: true, force: true });
}

/** The REST app in its own process on a fresh database, with a user and a conversation to upload to. */
async function startApi(env: Record<string, string>) {
  const app = await startRestApp({ DATA_DIR: path.join(work, 'data'), ATTACHMENT_MAX_BYTES: String(SIZE + MIB), ...env });
  cleanups.push(() => app.close());
  const { data: session } = (await app.call('POST', '/api/auth/register', {
    body: { email: `bench-${crypto.randomUUID()}@example.com`, password: 'bench password 1', name: 'Bench' },
    expect: 201,
  })) as { data: { accessToken: string } };
  const token = session.accessToken;
  const { data: conversation } = (await app.call('POST', '/api/conversations', { token, body: { title: 'uploads' }, expect: 201 })) as {
    data: { id: string };
  };
  const url = `${app.url}/api/conversations/${conversation.id}/attachments`;
  return {
    async upload(): Promise<number> {
      const res = await uploadFileAsForm(url, token, source, 'image/jpeg');
      const stored = res.status === 201 ? (JSON.parse(res.body).data as { size: number; sha256: string }) : undefined;
      if (stored?.size !== SIZE || stored.sha256 !== sourceSha256)
        throw new Error(`upload answered ${res.status} ${res.body.slice(0, 300)}`);
      return res.ms;
    },
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function currentCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
