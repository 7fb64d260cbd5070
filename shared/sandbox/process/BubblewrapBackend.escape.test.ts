import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BubblewrapBackend } from './BubblewrapBackend.ts';
import { expectStillServes, runCode, SANDBOX_UID, startTestBackend } from './testBackend.ts';

let backend: BubblewrapBackend;
let secretDir: string;
const secret = crypto.randomBytes(24).toString('hex');

beforeAll(async () => {
  // A stand-in for DATA_DIR with a JWT secret in it, outside every bind of the sandbox.
  secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-secret-'));
  fs.writeFileSync(path.join(secretDir, 'jwt-secret'), secret, { mode: 0o644 });
  fs.chmodSync(secretDir, 0o755);
  backend = await startTestBackend();
}, 120_000);
afterAll(async () => {
  await backend.close();
  fs.rmSync(secretDir, { recursive: true, force: true });
});

test('the root holds only what runtimes need: /usr (not /usr/local), its symlinks, two /etc files, /proc, /dev, /tmp', async () => {
  const code = 'import os\nprint(sorted(os.listdir("/")))\nprint(sorted(os.listdir("/etc")))\nprint(os.listdir("/usr/local"))';
  const result = await runCode(backend, 'python', code);
  expect(result.stdout).toBe(
    "['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'tmp', 'usr']\n['ld.so.cache', 'localtime']\n[]\n".replace(
      fs.existsSync('/etc/localtime') ? '' : ", 'localtime'",
      '',
    ),
  );
});

test('/etc/shadow, the project directory, DATA_DIR and a secret file outside the binds cannot be read', async () => {
  const paths = [
    '/etc/shadow',
    '/etc/passwd',
    process.cwd(),
    path.join(process.cwd(), 'package.json'),
    secretDir,
    path.join(secretDir, 'jwt-secret'),
  ];
  const code = [
    'import os',
    `for p in ${JSON.stringify(paths)}:`,
    '    try:',
    '        print(p, "READ", open(p).read()[:80] if os.path.isfile(p) else os.listdir(p))',
    '    except OSError as e:',
    '        print(p, type(e).__name__)',
  ].join('\n');
  const result = await runCode(backend, 'python', code);
  expect(result.exitCode).toBe(0);
  for (const target of paths) expect(result.stdout).toContain(`${target} FileNotFoundError`);
  expect(result.stdout).not.toContain('READ');
  expect(result.stdout).not.toContain(secret);
  await expectStillServes(backend);
});

test('nothing outside the private /tmp can be written, and /tmp is capped at fileBytes', async () => {
  const marker = `sandbox-wrote-${crypto.randomInt(1e9)}`;
  const targets = ['/etc', '/usr', '/usr/lib', '/', '/dev', '/dev/shm', '/proc/sys/kernel', '/bin'].map((dir) => path.join(dir, marker));
  const code = [
    'import os',
    `for p in ${JSON.stringify(targets)}:`,
    '    try:',
    '        open(p, "w").write("x"); print(p, "WROTE")',
    '    except OSError as e:',
    '        print(p, "refused")',
    `open("/tmp/${marker}", "w").write("inside only")`,
    'written = 0',
    'try:',
    '    for i in range(100):',
    '        with open(f"/tmp/fill{i}", "wb") as f: f.write(b"\\0" * (4 << 20))',
    '        written += 4 << 20',
    'except OSError as e:',
    '    print("full", e.errno, written)',
  ].join('\n');
  const result = await runCode(backend, 'python', code, { limits: { fileBytes: 10 * 1024 * 1024 } });
  expect(result.exitCode).toBe(0);
  for (const target of targets) {
    expect(result.stdout).toContain(`${target} refused`);
    expect(fs.existsSync(target)).toBe(false);
  }
  // Two 4 MiB files fit in 10 MiB, the third hits ENOSPC (28).
  expect(result.stdout).toContain(`full 28 ${8 << 20}`);
  expect(fs.existsSync(path.join('/tmp', marker))).toBe(false);
  await expectStillServes(backend);
});

test('a single file past fileBytes is refused by RLIMIT_FSIZE', async () => {
  const code = 'try:\n    open("/tmp/big", "wb").write(b"\\0" * (2 << 20))\nexcept OSError as e:\n    print("refused", e.errno)';
  const result = await runCode(backend, 'python', code, { limits: { fileBytes: 1024 * 1024 } });
  // Python ignores SIGXFSZ, so the write fails with EFBIG (27).
  expect(result.stdout).toBe('refused 27\n');
});

test('PostgreSQL, Redis and a server on a host port are all unreachable from inside; DNS does not resolve', async () => {
  const hits: net.Socket[] = [];
  const server = net.createServer((socket) => hits.push(socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    // The services answer from the host, so a refusal inside means the sandbox blocks them.
    for (const hostPort of [5432, 6379, port]) await expect(canConnect(hostPort)).resolves.toBe(true);
    hits.length = 0;
    const code = [
      'import socket',
      `for port in (5432, 6379, ${port}):`,
      '    s = socket.socket()',
      '    s.settimeout(3)',
      '    try:',
      '        s.connect(("127.0.0.1", port)); print(port, "CONNECTED")',
      '    except OSError as e:',
      '        print(port, type(e).__name__)',
      'for host in ("example.com", "localhost"):',
      '    try:',
      '        print(host, "RESOLVED", socket.getaddrinfo(host, 80))',
      '    except OSError as e:',
      '        print(host, type(e).__name__)',
    ].join('\n');
    const result = await runCode(backend, 'python', code);
    const refused = [5432, 6379, port].map((hostPort) => `${hostPort} ConnectionRefusedError\n`).join('');
    expect(result.stdout).toBe(`${refused}example.com gaierror\nlocalhost gaierror\n`);
    expect(hits).toHaveLength(0);
  } finally {
    server.close();
  }
  await expectStillServes(backend);
});

test('killing the parent, every process it may signal, or the host group changes nothing outside', async () => {
  // A sentinel outside the sandbox that runs as the sandbox's own uid: `kill -9 -1` from that uid would hit it if it could see it.
  const sentinel = spawn('/bin/sleep', ['1000'], { uid: SANDBOX_UID, gid: SANDBOX_UID, stdio: 'ignore', detached: true });
  try {
    // Field 5 of /proc/<pid>/stat is the process group (Node has no getpgid).
    const hostGroup = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]);
    expect(hostGroup).toBeGreaterThan(0);
    const code = [
      `kill -9 ${sentinel.pid} ${process.pid} -${hostGroup} 2>/dev/null`,
      'kill -9 $PPID 2>/dev/null',
      'kill -9 0 2>/dev/null',
      'kill -9 -1',
      'sleep 1',
      'echo STILL_HERE',
    ].join('\n');
    const result = await runCode(backend, 'bash', code);
    // The program killed itself along with everything it could see (its own namespace), nothing more.
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('');
    expect(isAlive(sentinel)).toBe(true);
    expect(isAlive(process)).toBe(true);
  } finally {
    sentinel.kill('SIGKILL');
  }
  await expectStillServes(backend);
});

test('the program holds no capabilities, cannot gain privileges and cannot make a user namespace to be root in', async () => {
  const code = 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status\nunshare --user --map-root-user id || echo "unshare refused"';
  const result = await runCode(backend, 'bash', code);
  expect(result.stdout).toBe('CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nunshare refused\n');
  await expectStillServes(backend);
});

test("the host's environment, secrets included, is invisible inside", async () => {
  const name = 'TWINMCP_SANDBOX_TEST_SECRET';
  // eslint-disable-next-line n/no-process-env -- the test plants a secret in the API's environment to prove it does not leak
  process.env[name] = secret;
  try {
    const code = 'import os, glob\nprint(sorted(os.environ))\nfor f in glob.glob("/proc/*/environ"):\n    print(open(f, "rb").read())\n';
    const result = await runCode(backend, 'python', code);
    expect(result.stdout.split('\n')[0]).toBe("['HOME', 'LANG', 'PATH', 'PWD', 'PYTHONDONTWRITEBYTECODE']");
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(name);
  } finally {
    // eslint-disable-next-line n/no-process-env -- see above
    delete process.env[name];
  }
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isAlive(target: ChildProcess | NodeJS.Process): boolean {
  try {
    return target.pid !== undefined && process.kill(target.pid, 0);
  } catch {
    return false;
  }
}
