/**
 * The console's build: `vite build --config console/vite.config.ts` bundles console/ into
 * dist/console, which the server serves at /console. `vite --config console/vite.config.ts`
 * is a development server that forwards the AWS APIs to a vpcsim on VPCSIM_ENDPOINT
 * (default http://127.0.0.1:4566).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.VPCSIM_ENDPOINT ?? 'http://127.0.0.1:4566';

export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '^/(?!console).*': { target, changeOrigin: false },
    },
  },
});
