// Type declarations of @panoramix/mixnet/contributor: the whole package, with an
// init() that loads both WebAssembly modules.
export * from './index.js';
import type { InitInput } from './index.js';

/** Load the client module and the contributor module (idempotent). Optional in Node. */
export declare function init(client?: InitInput, contributor?: InitInput): Promise<void>;
/** Load both modules synchronously from bytes or compiled modules. */
export declare function initSync(
  client?: BufferSource | WebAssembly.Module,
  contributor?: BufferSource | WebAssembly.Module,
): void;
