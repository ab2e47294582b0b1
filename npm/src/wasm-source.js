// Where the WebAssembly module comes from. The literal
// `new URL('./panoramix_wasm_bg.wasm', import.meta.url)` lets bundlers (Vite,
// esbuild, webpack) find and emit the file, and browsers and workers fetch it from
// there. Node cannot fetch file: URLs, so there the bytes are read with node:fs,
// obtained through process.getBuiltinModule (Node >= 20.16): no `import 'node:fs'`
// that a browser bundle would choke on.
function wasmUrl() {
  return new URL('./panoramix_wasm_bg.wasm', import.meta.url);
}

function nodeFs() {
  const p = globalThis.process;
  if (p && p.versions && p.versions.node && typeof p.getBuiltinModule === 'function') {
    return p.getBuiltinModule('node:fs');
  }
  return null;
}

/** What `init()` loads by default: bytes in Node, the URL elsewhere. */
export function wasmSource() {
  const fs = nodeFs();
  const url = wasmUrl();
  return fs && url.protocol === 'file:' ? fs.promises.readFile(url) : url;
}

/** The bytes, when they can be had synchronously (Node), else null. */
export function wasmSourceSync() {
  const fs = nodeFs();
  const url = wasmUrl();
  return fs && url.protocol === 'file:' ? fs.readFileSync(url) : null;
}
