import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/**
 * The dashboard build. `npm run build:web` runs this from the repo root, so every path is
 * resolved from this file's folder, never from the working directory.
 *
 * The api serves `web/dist` under a strict CSP (`script-src 'self'; style-src 'self'`): the built
 * index.html must carry no inline script, no inline style and no `style=` attribute. The module
 * preload polyfill is the one inline script Vite would add, so it is off (every browser we target
 * supports `<link rel="modulepreload">`).
 */
const webRoot = fileURLToPath(new URL('.', import.meta.url))
const apiOrigin = 'http://127.0.0.1:8080'

export default defineConfig({
  root: webRoot,
  base: '/',
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    // Keep assets as files: the CSP allows data: images but nothing else inline.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': apiOrigin,
      '/healthz': apiOrigin,
      '/readyz': apiOrigin,
    },
  },
  preview: {
    host: '127.0.0.1',
  },
})
