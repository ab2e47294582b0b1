// @panoramix/mixnet: the PANORAMIX Rust code compiled to WebAssembly, with a
// signing API client and a contributor helper. No side effects on import. Two
// WebAssembly modules: the client module (keys, encodings, envelopes, Sphinx
// packets, ballots), loaded by `init()`, and the contributor module (batch
// processing, shuffles, decryption, their verification), loaded by
// `initContributor()`; in Node each loads synchronously on first use.
import * as wasm from './panoramix_wasm.js';
import { wasmSource, wasmSourceSync } from './wasm-source.js';
import { moduleLoader } from './loader.js';
import { convertError, PanoramixError } from './errors.js';

export { PanoramixError } from './errors.js';

const client = moduleLoader({
  wasm,
  source: wasmSource,
  sourceSync: wasmSourceSync,
  syncName: 'initSync',
  asyncName: 'init',
  hint: 'call `await init()` once before using @panoramix/mixnet in a browser or worker',
});
const ensure = client.ensure;

/**
 * Load the WebAssembly module. Optional in Node; required once in browsers and
 * workers before the synchronous functions. Idempotent: later calls return the
 * first call's promise. `source` may be a URL (string or URL), a Response, bytes
 * (ArrayBuffer / Uint8Array) or a compiled WebAssembly.Module; by default the
 * `.wasm` next to this file.
 */
export function init(source) {
  return client.init(source);
}

/** Synchronous initialisation from bytes or a compiled module (e.g. in a worker). */
export function initSync(source) {
  client.initSync(source);
}

/** Whether the module is loaded. */
export function isInitialized() {
  return client.isInitialized();
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

// ---------------------------------------------------------------- core
export const version = wrap(wasm.version);
export const generateKeypair = wrap(wasm.generateKeypair);
export const keypairFromSecret = wrap(wasm.keypairFromSecret);
export const keyId = wrap(wasm.keyId);
export const sign = wrap(wasm.sign);
export const verify = wrap(wasm.verify);
export const canonicalEncode = wrap(wasm.canonicalEncode);
export const canonicalDecode = wrap(wasm.canonicalDecode);
export const signEnvelope = wrap((secret, data, info, byConsensus) =>
  wasm.signEnvelope(secret, data, info, byConsensus ?? null),
);
export const verifyEnvelope = wrap(wasm.verifyEnvelope);
export const actionBody = wrap(wasm.actionBody);
export const contributionText = wrap(wasm.contributionText);
export const parseContribution = wrap(wasm.parseContribution);
export const signContribution = wrap(wasm.signContribution);
export const verifyContribution = wrap(wasm.verifyContribution);
export const contributionMessage = wrap(wasm.contributionMessage);
export const consensusId = wrap(wasm.consensusId);
export const closing = wrap((participants, latest) => wasm.closing(participants ?? null, latest));
export const jointKeyData = wrap(wasm.jointKeyData);
export const jointPeerId = wrap(wasm.jointPeerId);
export const messageHash = wrap((serial, sender, recipient, text) =>
  wasm.messageHash(serial ?? undefined, sender, recipient, text),
);
export const setHash = wrap(wasm.setHash);
export const sha256Hex = wrap(wasm.sha256Hex);
export const randomHex = wrap(wasm.randomHex);

// ---------------------------------------------------------------- SPHINXMIX
export const sphinxKeygen = wrap(wasm.sphinxKeygen);
export const sphinxKeyFromSecret = wrap(wasm.sphinxKeyFromSecret);
export const sphinxNodeId = wrap(wasm.sphinxNodeId);
export const sphinxParams = wrap(wasm.sphinxParams);
export const sphinxWrap = wrap(wasm.sphinxWrap);
export const sphinxCreateSurb = wrap(wasm.sphinxCreateSurb);
export const sphinxSurbReply = wrap(wasm.sphinxSurbReply);
export const sphinxOpenReply = wrap(wasm.sphinxOpenReply);

/** A route prepared once for many packets. */
export class SphinxRoute {
  #inner;
  constructor(params, route) {
    ensure();
    try {
      this.#inner = new wasm.SphinxRoute(params, route);
    } catch (e) {
      throw convertError(e);
    }
  }
  get firstHop() {
    return this.#inner.firstHop;
  }
  wrap(destination, message) {
    try {
      return this.#inner.wrap(destination, message);
    } catch (e) {
      throw convertError(e);
    }
  }
  createSurb() {
    try {
      return this.#inner.createSurb();
    } catch (e) {
      throw convertError(e);
    }
  }
  free() {
    this.#inner.free();
  }
}

// ---------------------------------------------------------------- ZEUS
/** The session id trustee key shares are published for in a PANORAMIX mix-net. */
export const TRUSTEE_KEY_SESSION = 'panoramix/zeus/trustee-key/v1';
export const zeusTrusteeKeygen = wrap(wasm.zeusTrusteeKeygen);
export const zeusTrusteePublicKey = wrap(wasm.zeusTrusteePublicKey);
export const zeusPublishTrusteeKey = wrap(wasm.zeusPublishTrusteeKey);
export const zeusCombineTrusteeKeys = wrap(wasm.zeusCombineTrusteeKeys);
export const zeusVoterKeygen = wrap(wasm.zeusVoterKeygen);
export const zeusVoterCredential = wrap(wasm.zeusVoterCredential);
export const zeusEncryptBallot = wrap(wasm.zeusEncryptBallot);
export const zeusVerifyBallot = wrap(wasm.zeusVerifyBallot);
export const zeusAuditBallot = wrap(wasm.zeusAuditBallot);
export const zeusBallotTracker = wrap(wasm.zeusBallotTracker);

/**
 * A ballot prepared in the booth, not yet cast (the Benaloh challenge): either
 * `castText()` (post that text) or `audit()` (reveal the randomness and check the
 * opening), never both. The randomness stays inside WebAssembly until `audit()`.
 */
export class PreparedBallot {
  #inner;
  /** Prepare a ballot for `answer` under the voter's credential secret. */
  constructor(params, voterSecret, answer) {
    ensure();
    try {
      this.#inner = wasm.zeusPrepareBallot(params, voterSecret, answer);
    } catch (e) {
      throw convertError(e);
    }
  }
  #live() {
    if (!this.#inner) throw new PanoramixError('invalid_argument', 'this PreparedBallot was freed');
    return this.#inner;
  }
  /** The ballot text (hex); post `castText()`, which refuses an audited ballot. */
  get text() {
    return this.#live().text;
  }
  /** sha256 hex of the text: what the booth shows and the results page lists. */
  get tracker() {
    return this.#live().tracker;
  }
  /** The voter's public credential. */
  get credential() {
    return this.#live().credential;
  }
  get audited() {
    return this.#live().audited;
  }
  get cast() {
    return this.#live().cast;
  }
  /**
   * Reveal the randomness and check the opening: `{answer, answerHex, randomness,
   * ok}`. The ballot can no longer be cast. Throws `ballot_cast` after `castText()`.
   */
  audit() {
    const inner = this.#live();
    try {
      return inner.audit();
    } catch (e) {
      throw convertError(e);
    }
  }
  /** The text to post to the booth; throws `ballot_audited` once audited. */
  castText() {
    const inner = this.#live();
    try {
      return inner.castText();
    } catch (e) {
      throw convertError(e);
    }
  }
  /** Wipe the randomness now (the object is unusable afterwards). Idempotent. */
  free() {
    this.#inner?.free();
    this.#inner = undefined;
  }
}

/** Prepare a ballot: see `PreparedBallot`. */
export function zeusPrepareBallot(params, voterSecret, answer) {
  return new PreparedBallot(params, voterSecret, answer);
}

/**
 * One outcome text of a combination: plaintext hex, or `spoiled:<hex>` (the
 * decrypted element of a ballot that encodes no allowed answer). Returns
 * `{spoiled, hex, bytes, answer}`: for a spoiled one `hex` is the element and
 * `bytes`/`answer` are null; else `bytes` are the plaintext and `answer` its UTF-8
 * (null when it is not valid UTF-8).
 */
export function zeusParseOutcome(text) {
  const m = typeof text === 'string' ? /^(spoiled:)?((?:[0-9a-f]{2})*)$/.exec(text) : null;
  if (!m || (m[1] && m[2].length !== 64)) {
    throw new PanoramixError('invalid_argument', `not a Zeus outcome text: ${String(text).slice(0, 80)}`);
  }
  if (m[1]) return { spoiled: true, hex: m[2], bytes: null, answer: null };
  const bytes = new Uint8Array(m[2].length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(m[2].slice(2 * i, 2 * i + 2), 16);
  let answer;
  try {
    answer = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    answer = null;
  }
  return { spoiled: false, hex: m[2], bytes, answer };
}

// ---------------------------------------------------------------- processing
// Batch processing, shuffles, decryption and their verification run in the
// contributor module (see processing.js): `initContributor()` loads it (Node: on
// first use). Re-exported here so that one import serves every use.
export {
  initContributor,
  initContributorSync,
  isContributorInitialized,
  sphinxGatewayAccept,
  sphinxProcessBatch,
  SphinxMix,
  zeusProcess,
  zeusVerify,
  zeusVerifyElection,
  zeusSimulateElection,
  zeusAssembleElection,
  zeusMix,
  zeusVerifyMix,
  zeusPartialDecrypt,
  zeusCombine,
  processEndpoint,
  verifyEndpoint,
} from './processing.js';

export { PanoramixClient, ApiError } from './client.js';
export { Contributor, MixnetSender, endpointIds } from './contributor.js';
