// Where the WebAssembly modules come from. The literals
// `new URL('./panoramix_wasm_bg.wasm', import.meta.url)` (the client module) and
// `new URL('./panoramix_contributor_bg.wasm', import.meta.url)` (the contributor
// module) let bundlers (Vite, esbuild, webpack) find and emit the files, and
// browsers and workers fetch them from there. Node cannot fetch file: URLs, so
// there the bytes are read with node:fs, obtained through process.getBuiltinModule
// (Node >= 20.16): no `import 'node:fs'` that a browser bundle would choke on.
function clientUrl() {
  return new URL('./panoramix_wasm_bg.wasm', import.meta.url);
}

function contributorUrl() {
  return new URL('./panoramix_contributor_bg.wasm', import.meta.url);
}

function nodeFs() {
  const p = globalThis.process;
  if (p && p.versions && p.versions.node && typeof p.getBuiltinModule === 'function') {
    return p.getBuiltinModule('node:fs');
  }
  return null;
}

function source(url) {
  const fs = nodeFs();
  return fs && url.protocol === 'file:' ? fs.promises.readFile(url) : url;
}

function sourceSync(url) {
  const fs = nodeFs();
  return fs && url.protocol === 'file:' ? fs.readFileSync(url) : null;
}

/** What `init()` loads by default: bytes in Node, the URL elsewhere. */
export function wasmSource() {
  return source(clientUrl());
}

/** The client module's bytes, when they can be had synchronously (Node), else null. */
export function wasmSourceSync() {
  return sourceSync(clientUrl());
}

/** What `initContributor()` loads by default. */
export function contributorSource() {
  return source(contributorUrl());
}

/** The contributor module's bytes, synchronously (Node), else null. */
export function contributorSourceSync() {
  return sourceSync(contributorUrl());
}
