import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Lectio server owns these paths; in dev they are forwarded so the app can
// use same-origin relative URLs exactly as in production.
const serverOwnedPaths = ['/api', '/health', '/openapi.json', '/docs', '/media'];
const devServerTarget = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: Object.fromEntries(serverOwnedPaths.map((path) => [path, devServerTarget])),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server sends a strict CSP (default-src 'self', no inline scripts).
    // The polyfill is an inline <script>, and inlined assets would become
    // data: URLs that font-src/style-src 'self' rejects, so both are off.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
