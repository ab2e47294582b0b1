// Browsers, Web Workers and bundlers: the module is fetched next to this file.
// The literal `new URL(..., import.meta.url)` lets bundlers (Vite, esbuild, webpack)
// find and emit the .wasm file.
export function wasmSource() {
  return new URL('./panoramix_wasm_bg.wasm', import.meta.url);
}

export function wasmSourceSync() {
  return null;
}
