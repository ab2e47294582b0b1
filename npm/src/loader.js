// One WebAssembly module's loading, shared by the client module (index.js) and the
// contributor module (processing.js): an idempotent async init, a synchronous init
// from bytes, and `ensure()`, which loads the module synchronously where it can
// (Node) and otherwise throws `not_initialized` with `hint`.
import { PanoramixError } from './errors.js';

/**
 * @param {object} m
 * @param {any} m.wasm the wasm-bindgen glue (`default` and `initSync`)
 * @param {() => Promise<any>} m.source the default source, asynchronously
 * @param {() => any} m.sourceSync the default source where it can be read synchronously
 * @param {string} m.syncName the name of the synchronous init, for its error
 * @param {string} m.asyncName the name of the asynchronous init, for its error
 * @param {string} m.hint what `ensure()` tells a caller that loaded nothing
 */
export function moduleLoader({ wasm, source, sourceSync, syncName, asyncName, hint }) {
  let initialized = false;
  let pending = null;
  return {
    init(src) {
      if (initialized) return Promise.resolve();
      if (!pending) {
        pending = (async () => {
          await wasm.default({ module_or_path: src ?? (await source()) });
          initialized = true;
        })();
        pending.catch(() => {
          pending = null;
        });
      }
      return pending;
    },
    initSync(src) {
      if (initialized) return;
      const s = src ?? sourceSync();
      if (!s) {
        throw new PanoramixError(
          'not_initialized',
          `${syncName}() needs the module bytes here; or call \`await ${asyncName}()\` first`,
        );
      }
      wasm.initSync({ module: s });
      initialized = true;
    },
    isInitialized() {
      return initialized;
    },
    ensure() {
      if (initialized) return;
      const s = sourceSync();
      if (!s) throw new PanoramixError('not_initialized', hint);
      wasm.initSync({ module: s });
      initialized = true;
    },
  };
}
