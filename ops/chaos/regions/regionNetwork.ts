import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../regions/regions.sh', import.meta.url));
/** The regions of a rig, in the order regions.sh numbers them (region n has address .(10+n)). */
export const REGION_NAMES = ['eu', 'us', 'ap'] as const;
export type RegionName = (typeof REGION_NAMES)[number];

/** Three network-namespace regions on a bridge of their own (ops/regions/regions.sh). */
export interface RegionNetwork {
  prefix: string;
  subnet: string;
  /** The host's address on the bridge: every region reaches it while not cut. */
  hostAddress: string;
  addressOf(region: RegionName): string;
  namespaceOf(region: RegionName): string;
  cut(region: RegionName): Promise<void>;
  heal(region: RegionName): Promise<void>;
  /** Every process running inside the region's namespace. */
  pidsIn(region: RegionName): Promise<number[]>;
  /** Removes the regions, killing whatever still runs inside them; safe to call twice. */
  down(): Promise<void>;
  /** The same, synchronously, for the process's exit hook. */
  downSync(): void;
}

/**
 * A /24 of 10.200.0.0–10.249.255.0 that no interface of this machine uses yet, and a prefix of our own:
 * two rigs (parallel jest files, a chaos run beside them) never share a name or an address. Random,
 * seeded with the pid, then checked: a clash with a live set-up is retried, not shared.
 */
function pickUnusedNetwork(): { prefix: string; subnet: string } {
  const used = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((address) => address?.address.split('.').slice(0, 3).join('.')),
  );
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const subnet = `10.${200 + crypto.randomInt(50)}.${(process.pid + crypto.randomInt(256)) % 256}`;
    if (!used.has(subnet)) return { prefix: `r${crypto.randomBytes(3).toString('hex')}`, subnet };
  }
  throw new Error('no unused 10.2xx.y.0/24 for the regions');
}

/** Brings three regions up (regions.sh up) on an unused subnet; `down()` removes them. */
export async function startRegionNetwork(): Promise<RegionNetwork> {
  const { prefix, subnet } = pickUnusedNetwork();
  // The script needs iproute2 and nothing of the test's own environment.
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', REGIONS_PREFIX: prefix, REGIONS_SUBNET: subnet, REGIONS: REGION_NAMES.join(' ') };
  const regions = (...args: string[]) => run(SCRIPT, args, { env });
  let isDown = false;
  const network: RegionNetwork = {
    prefix,
    subnet,
    hostAddress: `${subnet}.1`,
    addressOf: (region) => `${subnet}.${11 + REGION_NAMES.indexOf(region)}`,
    namespaceOf: (region) => `${prefix}-${region}`,
    cut: async (region) => void (await regions('cut', region)),
    heal: async (region) => void (await regions('heal', region)),
    async pidsIn(region) {
      const { stdout } = await run('ip', ['netns', 'pids', network.namespaceOf(region)]);
      return stdout.split(/\s+/).filter(Boolean).map(Number);
    },
    async down() {
      if (isDown) return;
      isDown = true;
      await regions('down');
    },
    downSync() {
      if (isDown) return;
      isDown = true;
      execFileSync(SCRIPT, ['down'], { env, stdio: 'ignore' });
    },
  };
  await regions('up');
  return network;
}
