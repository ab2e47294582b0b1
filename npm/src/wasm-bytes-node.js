// Node: read the module from the package directory (fetch() cannot load file: URLs).
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

const url = new URL('./panoramix_wasm_bg.wasm', import.meta.url);

export function wasmSource() {
  return readFile(url);
}

export function wasmSourceSync() {
  return readFileSync(url);
}
