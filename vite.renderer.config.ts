import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src-renderer', import.meta.url));

// The headless server serves this build at /ui/recorder/ under a strict CSP: every script, worker, style
// and font comes from the same origin, so nothing may be inlined as a data: script or loaded from a CDN.
export default defineConfig({
  root,
  base: '/ui/recorder/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 6000,
    // Fonts (Monaco's codicons) stay files: the CSP has no font-src data:.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false, host: '127.0.0.1' },
});
