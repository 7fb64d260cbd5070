import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('regions.sh', import.meta.url));

/** A set-up of its own: a prefix and a /24 no other test run uses, so runs side by side never meet. */
const prefix = `t${crypto.randomBytes(3).toString('hex')}`;
const subnet = `10.77.${100 + crypto.randomInt(150)}`;
// The script needs iproute2 and nothing of the test's own environment.
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', REGIONS_PREFIX: prefix, REGIONS_SUBNET: subnet };
const addressOf = { eu: `${subnet}.11`, us: `${subnet}.12`, ap: `${subnet}.13` };

const regions = (...args: string[]) => run(SCRIPT, args, { env });

async function status(): Promise<Record<string, string>> {
  const { stdout } = await regions('status');
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [name, , , state] = line.split(' ');
        return [name!, state!];
      }),
  );
}

/** The network namespaces, and the links in the host's namespace, named with a prefix. */
async function leftovers(of: string): Promise<{ namespaces: string[]; links: string[] }> {
  const [{ stdout: netns }, { stdout: linkList }] = await Promise.all([run('ip', ['netns', 'list']), run('ip', ['-br', 'link'])]);
  const named = (text: string, separator: RegExp) =>
    text
      .split('\n')
      .map((line) => line.split(separator)[0]!)
      .filter((name) => name.startsWith(`${of}-`))
      .sort();
  return { namespaces: named(netns, / /), links: named(linkList, /[\s@]/) };
}

/** A TCP server inside a region that answers every connection with the region's name. */
async function serveInRegion(region: keyof typeof addressOf, port: number): Promise<ChildProcess> {
  const code = [
    `require('node:net').createServer((s) => s.end('${region}'))`,
    `.listen(${port}, '${addressOf[region]}', () => console.log('listening'))`,
  ].join('');
  const server = spawn('ip', ['netns', 'exec', `${prefix}-${region}`, process.execPath, '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await readline.createInterface({ input: server.stdout })[Symbol.asyncIterator]().next();
  expect(first.value).toBe('listening');
  return server;
}

/** What a connection from `from` (a region, or the host) to `to` gets within a second: its answer, or the error. */
async function connect(from: keyof typeof addressOf | 'host', to: keyof typeof addressOf, port: number): Promise<string> {
  const code = [
    `const s = require('node:net').connect(${port}, '${addressOf[to]}'); let got = '';`,
    "s.setTimeout(1000, () => { console.log('timeout'); process.exit(0); });",
    "s.on('data', (d) => (got += d)); s.on('end', () => { console.log(got); process.exit(0); });",
    "s.on('error', (e) => { console.log(e.code); process.exit(0); });",
  ].join(' ');
  const command =
    from === 'host' ? [process.execPath, '-e', code] : ['ip', 'netns', 'exec', `${prefix}-${from}`, process.execPath, '-e', code];
  const { stdout } = await run(command[0]!, command.slice(1));
  return stdout.trim();
}

describe('three regions on one machine (ops/regions/regions.sh)', () => {
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('the regions set-up needs root (network namespaces): run the tests as root');
    await regions('up');
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await regions('down');
  });

  it('gives each region its own namespace and address, all reachable from each other and from the host', async () => {
    expect(await status()).toEqual({ eu: 'up', us: 'up', ap: 'up' });
    expect(await leftovers(prefix)).toEqual({
      namespaces: [`${prefix}-ap`, `${prefix}-eu`, `${prefix}-us`],
      links: [`${prefix}-ap`, `${prefix}-br`, `${prefix}-eu`, `${prefix}-us`],
    });
    server = await serveInRegion('us', 7000);
    expect(await connect('eu', 'us', 7000)).toBe('us');
    expect(await connect('ap', 'us', 7000)).toBe('us');
    expect(await connect('host', 'us', 7000)).toBe('us');
    // Inside a region, its own address answers; nothing else of the host is there (its own loopback only).
    expect(await connect('us', 'us', 7000)).toBe('us');
  });

  it('cuts a region off the network and puts it back', async () => {
    await regions('cut', 'us');
    expect(await status()).toEqual({ eu: 'up', us: 'cut', ap: 'up' });
    expect(await connect('eu', 'us', 7000)).not.toBe('us');
    expect(await connect('host', 'us', 7000)).not.toBe('us');
    // The rest of the world still works without it.
    const other = await serveInRegion('ap', 7001);
    try {
      expect(await connect('eu', 'ap', 7001)).toBe('ap');
    } finally {
      other.kill('SIGKILL');
    }

    await regions('heal', 'us');
    expect(await status()).toEqual({ eu: 'up', us: 'up', ap: 'up' });
    expect(await connect('eu', 'us', 7000)).toBe('us');
  });

  it('is idempotent: up again changes nothing and keeps what runs', async () => {
    await regions('up');
    expect(await status()).toEqual({ eu: 'up', us: 'up', ap: 'up' });
    expect(await connect('eu', 'us', 7000)).toBe('us');
  });

  it('refuses unknown regions and bad settings with a clear message', async () => {
    await expect(regions('cut', 'mars')).rejects.toMatchObject({ stderr: expect.stringContaining("unknown region 'mars'") });
    await expect(run(SCRIPT, ['up'], { env: { ...env, REGIONS_PREFIX: 'much-too-long' } })).rejects.toMatchObject({
      stderr: expect.stringContaining('REGIONS_PREFIX must be'),
    });
  });
});

describe('tearing the regions down', () => {
  it('removes every namespace and link, and stops what ran inside; down twice is fine', async () => {
    const own = { ...env, REGIONS_PREFIX: `${prefix.slice(0, 6)}x` };
    const ownRegions = (...args: string[]) => run(SCRIPT, args, { env: own });
    await ownRegions('up');
    const inside = spawn('ip', ['netns', 'exec', `${own.REGIONS_PREFIX}-eu`, 'sleep', '600'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => inside.once('exit', resolve));
    await ownRegions('down');
    await exited;
    await ownRegions('down');
    expect(await leftovers(own.REGIONS_PREFIX)).toEqual({ namespaces: [], links: [] });
  });

  it('leaves nothing behind when up fails half-way', async () => {
    const own = { ...env, REGIONS_PREFIX: `${prefix.slice(0, 6)}y` };
    // Something else already holds the name of the second region's cable: up cannot finish.
    await run('ip', ['link', 'add', `${own.REGIONS_PREFIX}-us`, 'type', 'bridge']);
    await expect(run(SCRIPT, ['up'], { env: own })).rejects.toMatchObject({ code: expect.any(Number) });
    expect(await leftovers(own.REGIONS_PREFIX)).toEqual({ namespaces: [], links: [] });
  });
});
