import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// No React plugin: esbuild compiles JSX, and the app needs no fast refresh in production builds.
// `vite` (dev) proxies the API so the app talks to a `leadwise serve` on port 4000 as it does in production.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', reportCompressedSize: false },
  server: { proxy: { '/graphql': 'http://127.0.0.1:4000', '/records': 'http://127.0.0.1:4000' } },
  logLevel: 'warn',
});
