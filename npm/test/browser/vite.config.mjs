// Vite fixture (scripts/wasm-test.sh): the browser test page and worker with bare
// '@panoramix/mixnet' imports, built for production; Vite emits the .wasm named by
// the package's new URL(..., import.meta.url) and bundles the module worker.
export default {
  root: new URL('.', import.meta.url).pathname,
  logLevel: 'warn',
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['@panoramix/mixnet'] },
};
