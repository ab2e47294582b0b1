// The contributor module (panoramix_contributor_bg.wasm): batch processing
// (Sphinx mixes, Zeus shuffles with proofs, decryption), their verification and
// whole endpoints. A web app that only sends loads the client module alone; this
// one is loaded by `initContributor()` (or the `@panoramix/mixnet/contributor`
// entry's `init()`), and in Node on first use.
import * as wasm from './panoramix_contributor.js';
import { contributorSource, contributorSourceSync } from './wasm-source.js';
import { moduleLoader } from './loader.js';
import { convertError } from './errors.js';

const contributor = moduleLoader({
  wasm,
  source: contributorSource,
  sourceSync: contributorSourceSync,
  syncName: 'initContributorSync',
  asyncName: 'initContributor',
  hint:
    'batch processing needs the contributor module: call `await initContributor()` once ' +
    "(or `await init()` from '@panoramix/mixnet/contributor') in a browser or worker",
});
const ensure = contributor.ensure;

/**
 * Load the contributor module. Optional in Node; once in browsers and workers
 * before the processing functions. Idempotent. `source` as for `init()`; by default
 * the `panoramix_contributor_bg.wasm` next to this file.
 */
export function initContributor(source) {
  return contributor.init(source);
}

/** Synchronous initialisation of the contributor module from bytes or a compiled module. */
export function initContributorSync(source) {
  contributor.initSync(source);
}

/** Whether the contributor module is loaded. */
export function isContributorInitialized() {
  return contributor.isInitialized();
}

function wrap(f) {
  return function (...args) {
    ensure();
    try {
      return f(...args);
    } catch (e) {
      throw convertError(e);
    }
  };
}

// ---------------------------------------------------------------- SPHINXMIX
export const sphinxGatewayAccept = wrap(wasm.sphinxGatewayAccept);
export const sphinxProcessBatch = wrap(wasm.sphinxProcessBatch);

/** A mix key with its replay cache, for successive batches. */
export class SphinxMix {
  #inner;
  constructor(params, secret, cache) {
    ensure();
    try {
      this.#inner = new wasm.SphinxMix(params, secret, cache);
    } catch (e) {
      throw convertError(e);
    }
  }
  get publicKey() {
    return this.#inner.publicKey;
  }
  get nodeId() {
    return this.#inner.nodeId;
  }
  get cacheSize() {
    return this.#inner.cacheSize;
  }
  processBatch(texts) {
    try {
      return this.#inner.processBatch(texts);
    } catch (e) {
      throw convertError(e);
    }
  }
  /** Raw packets concatenated in one Uint8Array: see the type declarations. */
  processPackets(packets) {
    try {
      return this.#inner.processPackets(packets);
    } catch (e) {
      throw convertError(e);
    }
  }
  saveCache() {
    return this.#inner.saveCache();
  }
  free() {
    this.#inner.free();
  }
}

// ---------------------------------------------------------------- ZEUS
export const zeusProcess = wrap((type, params, inputs, secret) =>
  wasm.zeusProcess(type, params, inputs, secret ?? undefined),
);
export const zeusVerify = wrap(wasm.zeusVerify);
export const zeusVerifyElection = wrap(wasm.zeusVerifyElection);
export const zeusSimulateElection = wrap(wasm.zeusSimulateElection);
/** The election transcript (JSON text) from a mix-net's published texts, verified. */
export const zeusAssembleElection = wrap(wasm.zeusAssembleElection);

/** Shuffle and prove (`kind`: `tw`, the default, or `sk`): `{outputs, proof}`. */
export function zeusMix(params, ciphertexts, kind = 'tw') {
  return zeusProcess(kind === 'sk' ? 'ZEUS_SK_MIX' : 'ZEUS_TW_MIX', params, ciphertexts);
}

/** Verify a shuffle and its proof (throws a `zeus_*` PanoramixError). */
export function zeusVerifyMix(params, inputs, outputs, proof) {
  const kind = JSON.parse(proof).sk ? 'ZEUS_SK_MIX' : 'ZEUS_TW_MIX';
  zeusVerify(kind, params, inputs, outputs, proof);
}

/** One trustee's decryption shares, with Chaum–Pedersen proofs, one per ciphertext. */
export function zeusPartialDecrypt(params, trusteeSecret, ciphertexts) {
  return zeusProcess('ZEUS_SK_PARTIAL_DECRYPT', params, ciphertexts, trusteeSecret).outputs;
}

/**
 * Verify the trustees' keys and every share and combine them: outcome texts sorted
 * by ciphertext, plaintext hex or `spoiled:<hex>` (see `zeusParseOutcome`).
 */
export function zeusCombine(params, shares) {
  return zeusProcess('ZEUS_SK_COMBINE', params, shares).outputs;
}

// ---------------------------------------------------------------- endpoints
export const processEndpoint = wrap((endpoint, secrets, inputs) =>
  wasm.processEndpoint(endpoint, secrets ?? null, inputs),
);
export const verifyEndpoint = wrap((endpoint, inputs, outputs, proof) =>
  wasm.verifyEndpoint(endpoint, inputs, outputs, proof ?? undefined),
);
