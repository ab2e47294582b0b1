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
import * as a from './args.js';
import { check, checked, optional } from './args.js';

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
  try {
    check('init', [['source', optional(a.initInput)]], [source]);
  } catch (e) {
    return Promise.reject(e);
  }
  return client.init(source);
}

/** Synchronous initialisation from bytes or a compiled module (e.g. in a worker). */
export function initSync(source) {
  check('initSync', [['source', optional(a.moduleBytes)]], [source]);
  client.initSync(source);
}

/** Whether the module is loaded. */
export const isInitialized = checked('isInitialized', [], () => client.isInitialized());

/**
 * An export of the client module: its arguments checked (`specs`, see args.js),
 * the module loaded, its errors turned into PanoramixErrors.
 */
function api(name, specs, f) {
  return checked(name, specs, (...args) => {
    ensure();
    try {
      return f(...args);
    } catch (e) {
      throw convertError(e);
    }
  });
}

/** `f` (a constructor's or a method's body) with the WebAssembly errors converted. */
function converted(f) {
  try {
    return f();
  } catch (e) {
    throw convertError(e);
  }
}

// ---------------------------------------------------------------- core
export const version = api('version', [], wasm.version);
export const generateKeypair = api('generateKeypair', [], wasm.generateKeypair);
export const keypairFromSecret = api(
  'keypairFromSecret',
  [['secret', a.secret]],
  wasm.keypairFromSecret,
);
export const keyId = api('keyId', [['keyData', a.hex]], wasm.keyId);
export const sign = api(
  'sign',
  [
    ['secret', a.secret],
    ['domain', a.signatureDomain],
    ['message', a.bytes],
  ],
  wasm.sign,
);
export const verify = api(
  'verify',
  [
    ['keyData', a.hex],
    ['domain', a.signatureDomain],
    ['message', a.bytes],
    ['signature', a.hex],
  ],
  wasm.verify,
);
export const canonicalEncode = api('canonicalEncode', [['value', a.json]], wasm.canonicalEncode);
export const canonicalDecode = api('canonicalDecode', [['text', a.bytes]], wasm.canonicalDecode);
export const signEnvelope = api(
  'signEnvelope',
  [
    ['secret', a.secret],
    ['data', a.object],
    ['info', a.object],
    ['byConsensus', optional(a.object)],
  ],
  (secret, data, info, byConsensus) => wasm.signEnvelope(secret, data, info, byConsensus ?? null),
);
export const verifyEnvelope = api('verifyEnvelope', [['envelope', a.object]], wasm.verifyEnvelope);
export const actionBody = api(
  'actionBody',
  [
    ['data', a.object],
    ['info', a.object],
  ],
  wasm.actionBody,
);
export const contributionText = api(
  'contributionText',
  [
    ['body', a.json],
    ['meta', a.object],
  ],
  wasm.contributionText,
);
export const parseContribution = api(
  'parseContribution',
  [['text', a.string]],
  wasm.parseContribution,
);
export const signContribution = api(
  'signContribution',
  [
    ['secret', a.secret],
    ['negotiationId', a.string],
    ['text', a.string],
  ],
  wasm.signContribution,
);
export const verifyContribution = api(
  'verifyContribution',
  [
    ['keyData', a.hex],
    ['negotiationId', a.string],
    ['text', a.string],
    ['signature', a.hex],
  ],
  wasm.verifyContribution,
);
export const contributionMessage = api(
  'contributionMessage',
  [
    ['negotiationId', a.string],
    ['text', a.string],
  ],
  wasm.contributionMessage,
);
export const consensusId = api(
  'consensusId',
  [
    ['negotiationId', a.string],
    ['text', a.string],
    ['signings', a.recordOf(a.string, 'signature')],
    ['timestamp', a.string],
  ],
  wasm.consensusId,
);
export const closing = api(
  'closing',
  [
    ['participants', optional(a.strings)],
    [
      'latest',
      a.arrayOf(
        a.shape('contribution', { signer: a.string, text: a.string, signature: a.string }),
        'contribution ({signer, text, signature})',
      ),
    ],
  ],
  (participants, latest) => wasm.closing(participants ?? null, latest),
);
export const jointKeyData = api(
  'jointKeyData',
  [
    ['name', a.string],
    ['owners', a.hexStrings],
  ],
  wasm.jointKeyData,
);
export const jointPeerId = api('jointPeerId', [['keyData', a.hex]], wasm.jointPeerId);
export const messageHash = api(
  'messageHash',
  [
    ['serial', optional(a.integer)],
    ['sender', a.string],
    ['recipient', a.string],
    ['text', a.string],
  ],
  (serial, sender, recipient, text) =>
    wasm.messageHash(serial ?? undefined, sender, recipient, text),
);
export const setHash = api('setHash', [['hashes', a.hexStrings]], wasm.setHash);
export const sha256Hex = api('sha256Hex', [['data', a.bytes]], wasm.sha256Hex);
export const randomHex = api('randomHex', [['bytes', a.count]], wasm.randomHex);

// ---------------------------------------------------------------- SPHINXMIX
export const sphinxKeygen = api('sphinxKeygen', [], wasm.sphinxKeygen);
export const sphinxKeyFromSecret = api(
  'sphinxKeyFromSecret',
  [['secret', a.secret]],
  wasm.sphinxKeyFromSecret,
);
export const sphinxNodeId = api('sphinxNodeId', [['publicKey', a.hex]], wasm.sphinxNodeId);
export const sphinxParams = api('sphinxParams', [['params', a.sphinxParams]], (params) =>
  wasm.sphinxParams(params ?? null),
);
const WRAP = [
  ['destination', a.string],
  ['message', a.bytes],
];
export const sphinxWrap = api(
  'sphinxWrap',
  [['params', a.sphinxParams], ['route', a.hexStrings], ...WRAP],
  wasm.sphinxWrap,
);
export const sphinxCreateSurb = api(
  'sphinxCreateSurb',
  [
    ['params', a.sphinxParams],
    ['route', a.hexStrings],
  ],
  wasm.sphinxCreateSurb,
);
export const sphinxSurbReply = api(
  'sphinxSurbReply',
  [
    ['params', a.sphinxParams],
    ['surb', a.string],
    ['message', a.bytes],
  ],
  wasm.sphinxSurbReply,
);
export const sphinxOpenReply = api(
  'sphinxOpenReply',
  [
    ['opener', a.object],
    ['text', a.string],
  ],
  wasm.sphinxOpenReply,
);

/** A route prepared once for many packets. */
export class SphinxRoute {
  #inner;
  constructor(params, route) {
    check(
      'new SphinxRoute',
      [
        ['params', a.sphinxParams],
        ['route', a.hexStrings],
      ],
      [params, route],
    );
    ensure();
    this.#inner = converted(() => new wasm.SphinxRoute(params, route));
  }
  get firstHop() {
    return this.#inner.firstHop;
  }
  wrap(destination, message) {
    check('SphinxRoute.wrap', WRAP, [destination, message]);
    return converted(() => this.#inner.wrap(destination, message));
  }
  createSurb() {
    check('SphinxRoute.createSurb', [], [...arguments]);
    return converted(() => this.#inner.createSurb());
  }
  free() {
    this.#inner.free();
  }
}

// ---------------------------------------------------------------- ZEUS
/** The session id trustee key shares are published for in a PANORAMIX mix-net. */
export const TRUSTEE_KEY_SESSION = 'panoramix/zeus/trustee-key/v1';
export const zeusTrusteeKeygen = api('zeusTrusteeKeygen', [], wasm.zeusTrusteeKeygen);
export const zeusTrusteePublicKey = api(
  'zeusTrusteePublicKey',
  [['secret', a.secret]],
  wasm.zeusTrusteePublicKey,
);
export const zeusPublishTrusteeKey = api(
  'zeusPublishTrusteeKey',
  [
    ['secret', a.secret],
    ['sessionId', a.string],
  ],
  wasm.zeusPublishTrusteeKey,
);
export const zeusCombineTrusteeKeys = api(
  'zeusCombineTrusteeKeys',
  [
    ['sessionId', a.string],
    ['keys', a.trusteeKeys],
  ],
  wasm.zeusCombineTrusteeKeys,
);
export const zeusVoterKeygen = api('zeusVoterKeygen', [], wasm.zeusVoterKeygen);
export const zeusVoterCredential = api(
  'zeusVoterCredential',
  [['secret', a.secret]],
  wasm.zeusVoterCredential,
);
const BALLOT = [
  ['voterSecret', a.secret],
  ['params', a.zeusParams],
  ['answer', a.bytes],
];
/** A ballot for `answer`, signed with the voter's credential secret (no audit possible). */
export const zeusEncryptBallot = api('zeusEncryptBallot', BALLOT, (voterSecret, params, answer) =>
  wasm.zeusEncryptBallot(params, voterSecret, answer),
);
export const zeusVerifyBallot = api(
  'zeusVerifyBallot',
  [
    ['params', a.zeusParams],
    ['ballot', a.hex],
  ],
  wasm.zeusVerifyBallot,
);
export const zeusAuditBallot = api(
  'zeusAuditBallot',
  [
    ['params', a.zeusParams],
    ['ballot', a.hex],
    ['randomness', a.hex],
  ],
  wasm.zeusAuditBallot,
);
export const zeusBallotTracker = api(
  'zeusBallotTracker',
  [['ballot', a.hex]],
  wasm.zeusBallotTracker,
);

/**
 * A ballot prepared in the booth, not yet cast (the Benaloh challenge): either
 * `castText()` (post that text) or `audit()` (reveal the randomness and check the
 * opening), never both. The randomness stays inside WebAssembly until `audit()`.
 */
export class PreparedBallot {
  #inner;
  /** Prepare a ballot for `answer` under the voter's credential secret. */
  constructor(voterSecret, params, answer) {
    check('new PreparedBallot', BALLOT, [voterSecret, params, answer]);
    ensure();
    this.#inner = converted(() => wasm.zeusPrepareBallot(params, voterSecret, answer));
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
    check('PreparedBallot.audit', [], [...arguments]);
    const inner = this.#live();
    return converted(() => inner.audit());
  }
  /** The text to post to the booth; throws `ballot_audited` once audited. */
  castText() {
    check('PreparedBallot.castText', [], [...arguments]);
    const inner = this.#live();
    return converted(() => inner.castText());
  }
  /** Wipe the randomness now (the object is unusable afterwards). Idempotent. */
  free() {
    this.#inner?.free();
    this.#inner = undefined;
  }
}

/** Prepare a ballot: see `PreparedBallot`. */
export const zeusPrepareBallot = checked(
  'zeusPrepareBallot',
  BALLOT,
  (voterSecret, params, answer) => new PreparedBallot(voterSecret, params, answer),
);

/**
 * One outcome text of a combination: plaintext hex, or `spoiled:<hex>` (the
 * decrypted element of a ballot that encodes no allowed answer). Returns
 * `{spoiled, hex, bytes, answer}`: for a spoiled one `hex` is the element and
 * `bytes`/`answer` are null; else `bytes` are the plaintext and `answer` its UTF-8
 * (null when it is not valid UTF-8).
 */
export function zeusParseOutcome(text) {
  check('zeusParseOutcome', [['text', a.string]], [text]);
  const m = /^(spoiled:)?((?:[0-9a-f]{2})*)$/.exec(text);
  if (!m || (m[1] && m[2].length !== 64)) {
    throw new PanoramixError('invalid_argument', `not a Zeus outcome text: ${text.slice(0, 80)}`);
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
  mixnetGraph,
  dkgGraph,
  ContributorMachine,
} from './processing.js';

export { PanoramixClient, ApiError } from './client.js';
export { Contributor, MixnetSender, endpointIds } from './contributor.js';
export * from './formation.js';
