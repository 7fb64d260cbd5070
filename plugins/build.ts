import path from 'node:path';
import { buildShippedPlugins, DEFAULT_OUT_DIR } from './buildShippedPlugins.ts';

/** `npm run plugins:build`: the shipped plugins, bundled, signed with the development key and packed, under plugins/.build. */
const started = performance.now();
for (const plugin of await buildShippedPlugins()) {
  console.log(`${plugin.name}: ${path.relative(process.cwd(), plugin.tgz)}`);
}
console.log(`built into ${path.relative(process.cwd(), DEFAULT_OUT_DIR)} in ${Math.round(performance.now() - started)} ms`);
