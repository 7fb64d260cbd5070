import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/** The accent and page colours of styles.css (`--accent`, `--bg`): the installed app's title bar and splash screen. */
const THEME_COLOR = '#4f46e5';
const BACKGROUND_COLOR = '#f6f7fb';

/**
 * Builds web/ into web/dist, which the REST server serves at `/`. `vite web` proxies the API in development.
 * The PWA plugin writes the web app manifest and compiles `src/sw.ts` into `sw.js` with the list of built
 * files (with their revisions) to precache, so the shell opens offline and a new build is noticed.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 700 },
  server: { proxy: { '/api': 'http://localhost:3000' } },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // The app asks before it reloads into a new version (src/pwa/updatePrompt.ts registers the worker).
      registerType: 'prompt',
      injectRegister: false,
      injectManifest: {
        // One classic script: every browser that has service workers can run it.
        rollupFormat: 'iife',
        globPatterns: ['**/*.{js,css,html,png,svg}'],
      },
      manifest: {
        id: '/',
        name: 'TwinMCP Collab',
        short_name: 'TwinMCP',
        description: 'Shared AI conversations, written together in real time.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: THEME_COLOR,
        background_color: BACKGROUND_COLOR,
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
});
