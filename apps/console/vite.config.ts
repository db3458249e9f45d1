import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The console is served by the API at /console (apps/api/src/console/static.ts), so the build's
 * asset URLs start there. `npm run dev -w @federa/console` proxies /trpc to a running API
 * (FEDERA_API_URL, default npm start's) for hot reload while working on a page.
 */
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // one chunk per concern keeps the first page light: charts load with the pages that draw them
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: { '/trpc': process.env.FEDERA_API_URL ?? 'http://127.0.0.1:8787' },
  },
});
