import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packPlugin } from '../shared/plugins/package/packPlugin.ts';
import { signPluginDirectory } from '../shared/plugins/package/signPluginDirectory.ts';

export const PLUGINS_DIR = fileURLToPath(new URL('.', import.meta.url));
/** Where `npm run plugins:build` puts the signed packages: one folder and one .tgz per plugin. */
export const DEFAULT_OUT_DIR = path.join(PLUGINS_DIR, '.build');
export const DEV_SIGNING_KEY_FILE = path.join(PLUGINS_DIR, 'dev-signing-key.pem');

export interface BuiltPlugin {
  /** The folder name under plugins/. */
  name: string;
  /** The signed package folder: plugin.json, index.js, SIGNATURE.json. */
  dir: string;
  /** The same as a .tgz, what POST /api/plugins takes. */
  tgz: string;
}

/** The folders under plugins/ that hold a plugin (a plugin.json). */
export async function shippedPluginNames(): Promise<string[]> {
  const entries = await fs.readdir(PLUGINS_DIR, { withFileTypes: true });
  const names = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const hasManifest = await fs.stat(path.join(PLUGINS_DIR, entry.name, 'plugin.json')).then(
      () => true,
      () => false,
    );
    if (hasManifest) names.push(entry.name);
  }
  return names.sort();
}

/**
 * Bundles each shipped plugin's src/index.ts into ONE ES module with esbuild (what `entry` names; the
 * isolate resolves no imports), copies its plugin.json beside it, signs the folder with `keyPem` (the
 * development key unless given) and packs it. A plugin's dependencies (Prettier for the formatter) are
 * inside its bundle.
 */
export async function buildShippedPlugins(options: { outDir?: string; keyPem?: string } = {}): Promise<BuiltPlugin[]> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const keyPem = options.keyPem ?? (await fs.readFile(DEV_SIGNING_KEY_FILE, 'utf8'));
  const built: BuiltPlugin[] = [];
  for (const name of await shippedPluginNames()) {
    const source = path.join(PLUGINS_DIR, name);
    const dir = path.join(outDir, name);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    const manifest = JSON.parse(await fs.readFile(path.join(source, 'plugin.json'), 'utf8')) as { entry: string };
    await build({
      entryPoints: [path.join(source, 'src', 'index.ts')],
      outfile: path.join(dir, manifest.entry),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2023',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    });
    await fs.copyFile(path.join(source, 'plugin.json'), path.join(dir, 'plugin.json'));
    await signPluginDirectory(dir, keyPem);
    const tgz = path.join(outDir, `${name}.tgz`);
    await fs.writeFile(tgz, await packPlugin(dir));
    built.push({ name, dir, tgz });
  }
  return built;
}
