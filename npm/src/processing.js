// The contributor module (panoramix_contributor_bg.wasm): batch processing
// (Sphinx mixes, Zeus shuffles with proofs, decryption), their verification and
// whole endpoints. A web app that only sends loads the client module alone; this
// one is loaded by `initContributor()` (or the `@panoramix/mixnet/contributor`
// entry's `init()`), and in Node on first use.
import * as wasm from './panoramix_contributor.js';
import { contributorSource, contributorSourceSync } from './wasm-source.js';
import { moduleLoader } from './loader.js';
import { convertError, PanoramixError } from './errors.js';
import * as a from './args.js';
import { check, checked, optional } from './args.js';

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
  try {
    check('initContributor', [['source', optional(a.initInput)]], [source]);
  } catch (e) {
    return Promise.reject(e);
  }
  return contributor.init(source);
}

/** Synchronous initialisation of the contributor module from bytes or a compiled module. */
export function initContributorSync(source) {
  check('initContributorSync', [['source', optional(a.moduleBytes)]], [source]);
  contributor.initSync(source);
}

/** Whether the contributor module is loaded. */
export const isContributorInitialized = checked('isContributorInitialized', [], () =>
  contributor.isInitialized(),
);

/** An export of the contributor module: checked, loaded, errors converted (see index.js). */
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

function converted(f) {
  try {
    return f();
  } catch (e) {
    throw convertError(e);
  }
}

// ---------------------------------------------------------------- SPHINXMIX
export const sphinxGatewayAccept = api(
  'sphinxGatewayAccept',
  [
    ['params', a.sphinxParams],
    ['texts', a.strings],
  ],
  (params, texts) => wasm.sphinxGatewayAccept(params ?? null, texts),
);
export const sphinxProcessBatch = api(
  'sphinxProcessBatch',
  [
    ['secret', a.secret],
    ['params', a.sphinxParams],
    ['texts', a.strings],
  ],
  (secret, params, texts) => wasm.sphinxProcessBatch(params ?? null, secret, texts),
);

/** A mix key with its replay cache, for successive batches. */
export class SphinxMix {
  #inner;
  constructor(secret, params, cache) {
    check(
      'new SphinxMix',
      [
        ['secret', a.secret],
        ['params', a.sphinxParams],
        ['cache', optional(a.uint8Array)],
      ],
      [secret, params, cache],
    );
    ensure();
    this.#inner = converted(() => new wasm.SphinxMix(params ?? null, secret, cache ?? undefined));
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
    check('SphinxMix.processBatch', [['texts', a.strings]], [texts]);
    return converted(() => this.#inner.processBatch(texts));
  }
  /** Raw packets concatenated in one Uint8Array: see the type declarations. */
  processPackets(packets) {
    check('SphinxMix.processPackets', [['packets', a.uint8Array]], [packets]);
    return converted(() => this.#inner.processPackets(packets));
  }
  saveCache() {
    check('SphinxMix.saveCache', [], [...arguments]);
    return this.#inner.saveCache();
  }
  free() {
    this.#inner.free();
  }
}

// ---------------------------------------------------------------- ZEUS
/**
 * Process a batch as a Zeus endpoint of type `type` does. `secret`: the trustee's
 * key share for `ZEUS_SK_PARTIAL_DECRYPT`, null for the other types.
 */
export const zeusProcess = api(
  'zeusProcess',
  [
    ['secret', optional(a.secret)],
    ['type', a.zeusEndpointType],
    ['params', a.zeusParamsObject],
    ['inputs', a.strings],
  ],
  (secret, type, params, inputs) => wasm.zeusProcess(type, params, inputs, secret ?? undefined),
);
const VERIFY = [
  ['params', a.zeusParamsObject],
  ['inputs', a.strings],
  ['outputs', a.strings],
  ['proof', a.string],
];
export const zeusVerify = api(
  'zeusVerify',
  [['type', a.zeusEndpointType], ...VERIFY],
  wasm.zeusVerify,
);
export const zeusVerifyElection = api(
  'zeusVerifyElection',
  [['transcript', a.anyOf(a.string, a.object)]],
  wasm.zeusVerifyElection,
);
export const zeusSimulateElection = api(
  'zeusSimulateElection',
  [
    [
      'spec',
      a.shape('an election ({session_id, trustees, mixes, answers?, plaintexts})', {
        session_id: a.string,
        trustees: a.count,
        mixes: a.arrayOf(a.oneOf('tw', 'sk')),
        answers: optional(a.strings),
        plaintexts: a.strings,
      }),
    ],
  ],
  wasm.zeusSimulateElection,
);
/** The election transcript (JSON text) from a mix-net's published texts, verified. */
export const zeusAssembleElection = api(
  'zeusAssembleElection',
  [
    ['params', a.zeusParams],
    ['boothInputs', a.hexStrings],
    ['mixes', a.publishedMixes],
    ['shares', a.strings],
    ['outcomes', a.strings],
  ],
  wasm.zeusAssembleElection,
);

/** Shuffle and prove (`kind`: `tw`, the default, or `sk`): `{outputs, proof}`. */
export const zeusMix = checked(
  'zeusMix',
  [
    ['params', a.zeusParamsObject],
    ['ciphertexts', a.hexStrings],
    ['kind', optional(a.oneOf('tw', 'sk'))],
  ],
  (params, ciphertexts, kind) =>
    zeusProcess(null, kind === 'sk' ? 'ZEUS_SK_MIX' : 'ZEUS_TW_MIX', params, ciphertexts),
);

/** Verify a shuffle and its proof (throws a `zeus_*` PanoramixError). */
export const zeusVerifyMix = checked('zeusVerifyMix', VERIFY, (params, inputs, outputs, proof) => {
  let sk;
  try {
    sk = JSON.parse(proof).sk;
  } catch {
    throw new PanoramixError('invalid_argument', 'zeusVerifyMix: proof must be JSON text');
  }
  zeusVerify(sk ? 'ZEUS_SK_MIX' : 'ZEUS_TW_MIX', params, inputs, outputs, proof);
});

/** One trustee's decryption shares, with Chaum–Pedersen proofs, one per ciphertext. */
export const zeusPartialDecrypt = checked(
  'zeusPartialDecrypt',
  [
    ['trusteeSecret', a.secret],
    ['params', a.zeusParamsObject],
    ['ciphertexts', a.hexStrings],
  ],
  (trusteeSecret, params, ciphertexts) =>
    zeusProcess(trusteeSecret, 'ZEUS_SK_PARTIAL_DECRYPT', params, ciphertexts).outputs,
);

/**
 * Verify the trustees' keys and every share and combine them: outcome texts sorted
 * by ciphertext, plaintext hex or `spoiled:<hex>` (see `zeusParseOutcome`).
 */
export const zeusCombine = checked(
  'zeusCombine',
  [
    ['params', a.zeusParamsObject],
    ['shares', a.strings],
  ],
  (params, shares) => zeusProcess(null, 'ZEUS_SK_COMBINE', params, shares).outputs,
);

// ---------------------------------------------------------------- endpoints
/**
 * One endpoint's batch, as its owner's agent processes it. `secrets`: the owner's
 * backend secrets, null where the endpoint needs none.
 */
export const processEndpoint = api(
  'processEndpoint',
  [
    ['secrets', optional(a.backendSecrets)],
    ['endpoint', a.apiEndpoint],
    ['inputs', a.apiMessages],
  ],
  (secrets, endpoint, inputs) => wasm.processEndpoint(endpoint, secrets ?? null, inputs),
);
export const verifyEndpoint = api(
  'verifyEndpoint',
  [
    ['endpoint', a.apiEndpoint],
    ['inputs', a.apiMessages],
    ['outputs', a.apiMessages],
    ['proof', optional(a.string)],
  ],
  (endpoint, inputs, outputs, proof) =>
    wasm.verifyEndpoint(endpoint, inputs, outputs, proof ?? undefined),
);

/**
 * The endpoints of `cycle` of a mix-net (its description `spec`, its joint peer,
 * its owners in order, and for ZEUS their trustee key records): the graph every
 * contributor agrees on, from the same Rust code. With threshold trustees
 * (`spec.params.THRESHOLD`), `key` is the key generation's result (the output of
 * `<name>-dkg-key`, an object or its JSON text): every ZEUS endpoint carries its
 * election key and record, and the combination is the first owner's.
 */
export const mixnetGraph = api(
  'mixnetGraph',
  [
    ['spec', a.object],
    ['joint', a.nonEmptyString],
    ['owners', a.hexStrings],
    ['trustees', optional(a.arrayOf(a.object, 'trustee key record'))],
    ['cycle', a.count],
    ['key', optional(a.anyOf(a.object, a.string))],
  ],
  (spec, joint, owners, trustees, cycle, key) =>
    wasm.mixnetGraph(spec, joint, owners, trustees ?? [], cycle, key ?? undefined),
);

/**
 * The key generation's endpoints of a ZEUS mix-net with threshold trustees
 * (`spec.params.THRESHOLD`) whose joint peer `joint` is owned by `owners`: each
 * trustee's `<name>-dkg-deal<j>` and `<name>-dkg-verdict<j>` on its own peer, in
 * trustee order (the trustees are `spec.params.TRUSTEES`, or the owners), then the
 * owners' `<name>-dkg-key`; `trustees`: their key records in trustee order.
 */
export const dkgGraph = api(
  'dkgGraph',
  [
    ['spec', a.object],
    ['joint', a.nonEmptyString],
    ['owners', a.hexStrings],
    ['trustees', a.arrayOf(a.object, 'trustee key record')],
  ],
  (spec, joint, owners, trustees) => wasm.dkgGraph(spec, joint, owners, trustees),
);

// ---------------------------------------------------------------- the contributor protocol
/**
 * The contributor protocol's state machine (the Rust `panoramix-contributor` crate),
 * for hosts of their own: `Contributor` (contributor.js) is the package's host. A
 * host begins a step, then answers what `poll()` asks (`http`: send the request and
 * `handle` the answer; `save`: store the state and say `saved`) until `done` or
 * `failed`. With a fixed `seed` a recorded run replays to the same requests.
 */
export class ContributorMachine {
  #inner;
  constructor(identity, controllerId, backend, secrets, state, seed) {
    check(
      'new ContributorMachine',
      [
        ['identity', a.secret],
        ['controllerId', a.string],
        ['backend', a.oneOf('SPHINXMIX', 'ZEUS')],
        ['secrets', optional(a.backendSecrets)],
        ['state', a.anyOf(a.object, a.string)],
        ['seed', optional(a.hex)],
      ],
      [identity, controllerId, backend, secrets, state, seed],
    );
    ensure();
    this.#inner = converted(
      () => new wasm.ContributorMachine(identity, controllerId, backend, secrets ?? null, state, seed ?? undefined),
    );
  }
  /** Start a step at `now` (seconds since the epoch). */
  beginStep(now) {
    check('ContributorMachine.beginStep', [['now', a.integer]], [now]);
    this.#inner.beginStep(now);
  }
  /** What to do next: `{kind: 'http' | 'save' | 'done' | 'failed', …}`. */
  poll() {
    check('ContributorMachine.poll', [], [...arguments]);
    return converted(() => this.#inner.poll());
  }
  /** The answer to the pending request: its status and body text. */
  handle(status, text) {
    check('ContributorMachine.handle', [['status', a.integer], ['text', a.string]], [status, text]);
    converted(() => this.#inner.handle(status, text));
  }
  /** The pending state was stored. */
  saved() {
    check('ContributorMachine.saved', [], [...arguments]);
    converted(() => this.#inner.saved());
  }
  /** The state as of the last completed step. */
  state() {
    check('ContributorMachine.state', [], [...arguments]);
    return converted(() => this.#inner.state());
  }
  /** Milliseconds spent in the backend's cryptography. */
  cryptoMillis() {
    check('ContributorMachine.cryptoMillis', [], [...arguments]);
    return this.#inner.cryptoMillis();
  }
  free() {
    this.#inner.free();
  }
}

// ---------------------------------------------------------------- forming a mix-net
/**
 * The formation procedures (the Rust `panoramix_contributor::formation`):
 * package-internal; the functions of formation.js are its host.
 */
export class FormationMachine {
  #inner;
  constructor(identity, controllerId, seed) {
    ensure();
    this.#inner = converted(() => new wasm.FormationMachine(identity, controllerId, seed));
  }
  get id() {
    return this.#inner.id;
  }
  /** Select the operation `name` (a method of the wasm class) with `args`. */
  select(name, args) {
    converted(() => this.#inner[name](...args));
  }
  begin(now) {
    converted(() => this.#inner.begin(now));
  }
  poll() {
    return converted(() => this.#inner.poll());
  }
  handle(status, text) {
    converted(() => this.#inner.handle(status, text));
  }
  saved() {
    converted(() => this.#inner.saved());
  }
  free() {
    this.#inner.free();
  }
}
