// `@panoramix/mixnet/contributor`: the whole package, with an `init()` that loads
// both WebAssembly modules (the client module and the contributor module), for
// pages and workers that process batches.
import { init as initClient, initSync as initClientSync } from './index.js';
import { initContributor, initContributorSync } from './processing.js';

export * from './index.js';

/** Load both modules (idempotent). Optional in Node. */
export function init(client, contributor) {
  return Promise.all([initClient(client), initContributor(contributor)]).then(() => undefined);
}

/** Load both modules synchronously from bytes or compiled modules. */
export function initSync(client, contributor) {
  initClientSync(client);
  initContributorSync(contributor);
}
