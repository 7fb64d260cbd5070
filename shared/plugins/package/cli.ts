import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AppError } from '../../errors.ts';
import { DEV_PLUGIN_PUBLIC_KEY } from './devKey.ts';
import { packPlugin } from './packPlugin.ts';
import { parsePluginManifest } from './parsePluginManifest.ts';
import { PluginSignatureError } from './pluginErrors.ts';
import { readPackageArchive } from './readPackageArchive.ts';
import { readPluginPackage } from './readPluginPackage.ts';
import { generateSigningKey, publicKeyOf } from './signingKeys.ts';
import { signPluginDirectory } from './signPluginDirectory.ts';
import { verifyPluginPackage } from './verifyPluginPackage.ts';

const USAGE = `Usage: npm run plugin -- <command>
  keygen [--out key.pem]          make a signing key pair: writes the private key (mode 0600; default
                                  plugin-signing-key.pem, never overwritten) and prints the public key id
                                  to add to PLUGIN_TRUSTED_KEYS
  sign <dir> --key <key.pem>      write <dir>/SIGNATURE.json, covering every other file in <dir>
  verify <dir|file.tgz> [--trusted-key ed25519:...]...
                                  check a package as an install does; exit 0 only when it is signed by a
                                  trusted key
  pack <dir> [--out file.tgz]     pack <dir> as a .tgz (default <id>-<version>.tgz)
Exit status: 0 done, 1 refused or failed, 2 usage error.
`;

/** What each command takes: how many positional arguments and which options. */
const COMMANDS: Record<string, { arguments: number; options: string[]; required?: string[] }> = {
  keygen: { arguments: 0, options: ['out'] },
  sign: { arguments: 1, options: ['key'], required: ['key'] },
  verify: { arguments: 1, options: ['trusted-key'] },
  pack: { arguments: 1, options: ['out'] },
};

class UsageError extends Error {}

const print = (line: string) => process.stdout.write(`${line}\n`);
const warn = (line: string) => process.stderr.write(`${line}\n`);

function parseCommandLine(args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string' }, key: { type: 'string' }, 'trusted-key': { type: 'string', multiple: true } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command = '', ...operands] = parsed.positionals;
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(command ? `Unknown command: ${command}` : 'No command given');
  if (operands.length !== spec.arguments) throw new UsageError(`${command} takes ${spec.arguments} argument(s)`);
  const given = Object.keys(parsed.values);
  const stray = given.find((option) => !spec.options.includes(option));
  if (stray) throw new UsageError(`${command} does not take --${stray}`);
  const missing = spec.required?.find((option) => !given.includes(option));
  if (missing) throw new UsageError(`${command} needs --${missing}`);
  const badKey = parsed.values['trusted-key']?.find((keyId) => !publicKeyOf(keyId));
  if (badKey) throw new UsageError(`Not an ed25519 public key id (ed25519:<base64url of 32 bytes>): ${badKey}`);
  return { command, operand: operands[0]!, values: parsed.values };
}

async function keygen(out = 'plugin-signing-key.pem'): Promise<number> {
  const { privateKeyPem, publicKey } = generateSigningKey();
  await writeFile(out, privateKeyPem, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EEXIST' ? new Error(`${out} exists already; a signing key is never overwritten`) : error;
  });
  warn(`Wrote the private key to ${out} (keep it secret). Its public key id, for PLUGIN_TRUSTED_KEYS:`);
  print(publicKey);
  return 0;
}

async function sign(dir: string, keyPath: string): Promise<number> {
  const { keyId, manifest } = await signPluginDirectory(dir, await readFile(keyPath, 'utf8'));
  print(`Signed ${manifest.id}@${manifest.version} (${Object.keys(manifest.files).length} files) with ${keyId}`);
  if (keyId === DEV_PLUGIN_PUBLIC_KEY) warn('This is the development key: only hosts outside production trust it.');
  return 0;
}

async function verify(path: string, trustedKeys: string[]): Promise<number> {
  // A .tgz streams from disk, so a huge or hostile file is abandoned at the cap rather than read whole.
  const pkg = (await stat(path)).isDirectory() ? await readPluginPackage({ dir: path }) : await readPackageArchive(createReadStream(path));
  try {
    const { manifest, signature } = verifyPluginPackage(pkg, { trustedKeys, allowUnsigned: true });
    print(`level: ${signature.level}`);
    if (signature.keyId) print(`key: ${signature.keyId}`);
    print(`id: ${manifest.id}\nversion: ${manifest.version}`);
    print(`permissions: ${manifest.permissions.join(', ') || '(none)'}`);
    print(`tools: ${manifest.tools.map((tool) => tool.name).join(', ')}`);
    if (signature.level === 'signed') return 0;
    warn(signature.level === 'unsigned' ? 'The package is not signed.' : 'The package is signed by a key not given with --trusted-key.');
    return 1;
  } catch (error) {
    if (!(error instanceof PluginSignatureError)) throw error;
    print(`level: ${error.level}`);
    if (error.keyId) print(`key: ${error.keyId}`);
    const { id, version } = tryManifest(pkg.files);
    if (id) print(`id: ${id}\nversion: ${version}`);
    warn(error.message);
    return 1;
  }
}

/** What a refused package claims to be, for the operator's report only: none of it is trusted. */
function tryManifest(files: ReadonlyMap<string, Buffer>): { id?: string; version?: string } {
  try {
    return parsePluginManifest(files);
  } catch {
    return {};
  }
}

async function pack(dir: string, out?: string): Promise<number> {
  const tgz = await packPlugin(dir);
  const { files } = await readPluginPackage({ tgz });
  const manifest = parsePluginManifest(files);
  const target = out ?? `${manifest.id}-${manifest.version}.tgz`;
  await writeFile(target, tgz);
  print(`Packed ${manifest.id}@${manifest.version} (${files.size} files, ${tgz.length} bytes) into ${target}`);
  return 0;
}

/** `npm run plugin`: the plugin author's tools. Returns the exit status. */
export async function runPluginCli(args: string[]): Promise<number> {
  try {
    const { command, operand, values } = parseCommandLine(args);
    if (command === 'keygen') return await keygen(values.out);
    if (command === 'sign') return await sign(operand, values.key!);
    if (command === 'verify') return await verify(operand, values['trusted-key'] ?? []);
    return await pack(operand, values.out);
  } catch (error) {
    if (error instanceof UsageError) {
      warn(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    const code = error instanceof AppError ? `${error.code}: ` : '';
    warn(`Error: ${code}${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await runPluginCli(process.argv.slice(2));
