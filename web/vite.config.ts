import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Builds web/ into web/dist, which the REST server serves at `/`. `vite web` proxies the API in development. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 700 },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
