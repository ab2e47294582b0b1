// `@panoramix/mixnet/contributor`: the whole package, with an `init()` that loads
// both WebAssembly modules (the client module and the contributor module), for
// pages and workers that process batches.
import { init as initClient, initSync as initClientSync } from './index.js';
import { initContributor, initContributorSync } from './processing.js';
import { check, initInput, moduleBytes, optional } from './args.js';

export * from './index.js';

/** Load both modules (idempotent). Optional in Node. */
export function init(client, contributor) {
  try {
    check(
      'init',
      [
        ['client', optional(initInput)],
        ['contributor', optional(initInput)],
      ],
      [client, contributor],
    );
  } catch (e) {
    return Promise.reject(e);
  }
  return Promise.all([initClient(client), initContributor(contributor)]).then(() => undefined);
}

/** Load both modules synchronously from bytes or compiled modules. */
export function initSync(client, contributor) {
  check(
    'initSync',
    [
      ['client', optional(moduleBytes)],
      ['contributor', optional(moduleBytes)],
    ],
    [client, contributor],
  );
  initClientSync(client);
  initContributorSync(contributor);
}
