// Type declarations of @panoramix/mixnet.
//
// Conventions, the same for every export:
// * **Secret first.** A function or constructor that uses a secret key (an identity,
//   mix, trustee or voter secret, or a `BackendSecrets` object) takes it as its first
//   argument: `sign(secret, …)`, `signEnvelope(secret, …)`, `sphinxProcessBatch(secret,
//   params, texts)`, `new SphinxMix(secret, params?)`, `zeusEncryptBallot(voterSecret,
//   params, answer)`, `zeusPartialDecrypt(trusteeSecret, params, ciphertexts)`,
//   `zeusProcess(secret | null, type, params, inputs)`, `processEndpoint(secrets | null,
//   endpoint, inputs)`, `PanoramixClient.connect(secret, baseUrl)`,
//   `new Contributor(secrets, client)`. A secret that overrides one an object holds
//   is an option, last: `sender.send(cycle, recipient, message, { voterSecret })`.
// * **Checked arguments.** Every export checks the types and shapes of its arguments
//   before it does anything and throws a `PanoramixError` with code `invalid_argument`
//   whose message names the function, the argument and what it must be, e.g.
//   `sign: secret must be a secret key (a string of 64 hex), got number 123`. Functions
//   that return a promise reject with it instead. A function without arguments refuses
//   any (`generateKeypair(secret)` throws: `keypairFromSecret(secret)` was meant). The
//   contents (hex, lengths, keys, proofs) are checked by the WebAssembly side, with
//   their own codes (`bad_key`, `sphinx_*`, `zeus_*`, …).

import type { HttpMethod } from './client.js';

// ---------------------------------------------------------------- loading and errors
/** Bytes, or a string standing for its UTF-8 encoding. */
export type BytesLike = Uint8Array | ArrayBuffer | string;
/** A JSON value (floats are refused by the canonical encoding). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** Every error of this package; `code` is stable (see the README's error table). */
export declare class PanoramixError extends Error {
  constructor(code: string, message: string, options?: { cause?: unknown });
  readonly code: string;
}

/** What `init` accepts: a URL, a fetch Response, bytes or a compiled module. */
export type InitInput =
  | string
  | URL
  | Request
  | Response
  | BufferSource
  | WebAssembly.Module
  | Promise<Response | BufferSource | WebAssembly.Module>;

/**
 * Load the client module (idempotent). Optional in Node; once before use in
 * browsers/workers. Batch processing needs the contributor module too: see
 * `initContributor`.
 */
export declare function init(source?: InitInput): Promise<void>;
/** Load the client module synchronously from bytes or a compiled module. */
export declare function initSync(source?: BufferSource | WebAssembly.Module): void;
/** Whether the client module is loaded. */
export declare function isInitialized(): boolean;
/**
 * Load the contributor module (batch processing, shuffles, decryption and their
 * verification: `sphinxProcessBatch`, `SphinxMix`, `sphinxGatewayAccept`,
 * `zeusProcess`, `zeusMix`, `zeusVerify`, `zeusVerifyMix`, `zeusPartialDecrypt`,
 * `zeusCombine`, `zeusVerifyElection`, `zeusSimulateElection`, `processEndpoint`,
 * `verifyEndpoint`, `Contributor`). Idempotent; optional in Node; once before those
 * in browsers and workers. By default `panoramix_contributor_bg.wasm` next to the
 * package's `index.js`.
 */
export declare function initContributor(source?: InitInput): Promise<void>;
/** Load the contributor module synchronously from bytes or a compiled module. */
export declare function initContributorSync(source?: BufferSource | WebAssembly.Module): void;
/** Whether the contributor module is loaded. */
export declare function isContributorInitialized(): boolean;

// ---------------------------------------------------------------- core
/** An Ed25519 identity. */
export interface KeyInfo {
  /** 64 hex: the secret seed. Keep it secret. */
  secret: string;
  /** 64 hex: the Ed25519 public key. */
  keyData: string;
  /** 64 hex: the key id, which is the peer id once registered. */
  keyId: string;
}
/** `contribution` is the legacy, text-only contribution label (verification of old
 * records); new contributions are signed for `contribution-in` (see signContribution). */
export type SignatureDomain = 'envelope' | 'contribution' | 'contribution-in' | 'audit-head';
/** A signed request envelope. */
export interface Envelope {
  data: JsonObject;
  info: JsonObject;
  by_consensus?: JsonObject;
  meta: { signature: string; key_data: string };
}
/** What `verifyEnvelope` returns. */
export interface VerifiedEnvelope {
  signerId: string;
  keyData: string;
  signature: string;
  data: JsonObject;
  info: JsonObject;
  byConsensus: JsonObject | null;
}
/** The version of the WebAssembly bindings (the crate version). */
export declare function version(): string;
/** A fresh Ed25519 identity: `{secret, keyData, keyId}` (hex). */
export declare function generateKeypair(): KeyInfo;
/** The identity of a 64-hex secret seed: `{secret, keyData, keyId}`. */
export declare function keypairFromSecret(secret: string): KeyInfo;
/** The key id (peer id) of a public key's `keyData`. */
export declare function keyId(keyData: string): string;
/** Sign `message` (a string or bytes) for `domain` with the identity `secret`: 128 hex. */
export declare function sign(secret: string, domain: SignatureDomain, message: BytesLike): string;
/** Whether `signature` is `keyData`'s signature of `message` for `domain`. */
export declare function verify(
  keyData: string,
  domain: SignatureDomain,
  message: BytesLike,
  signature: string,
): boolean;
/** The canonical encoding of a JSON value (booleans are 1 and 0; floats are refused, `canonical`). */
export declare function canonicalEncode(value: Json): string;
/** Decode a canonical encoding (strict: only what `canonicalEncode` produces). */
export declare function canonicalDecode(text: BytesLike): Json;
/** Sign a request envelope with the identity `secret`: `{data, info, by_consensus?, meta: {signature, key_data}}`. */
export declare function signEnvelope(
  secret: string,
  data: JsonObject,
  info: JsonObject,
  byConsensus?: JsonObject | null,
): Envelope;
/** Verify an envelope: its signer and contents, or throws (`bad_signature`, `malformed_envelope`). */
export declare function verifyEnvelope(envelope: Envelope | JsonObject): VerifiedEnvelope;
/** canonical({data, info}) of an action: the body a contribution text carries. */
export declare function actionBody(data: JsonObject, info: JsonObject): Json;
/** The canonical contribution text `{"body": body, "meta": meta}`; `meta.accept` is 1 for an accepting text. */
export declare function contributionText(body: Json, meta: JsonObject): string;
/** Parse a contribution text: `{body, meta, accepted}`. */
export declare function parseContribution(text: string): {
  body: Json;
  meta: JsonObject;
  accepted: boolean;
};
/**
 * Sign a contribution text for one negotiation: label `panoramix/v1/contribution-in`
 * over canonical `{negotiation_id, text}`, so it cannot be replayed into another one.
 */
export declare function signContribution(
  secret: string,
  negotiationId: string,
  text: string,
): string;
/** Whether `signature` is `keyData`'s signature of `text` for negotiation `negotiationId`. */
export declare function verifyContribution(
  keyData: string,
  negotiationId: string,
  text: string,
  signature: string,
): boolean;
/** The bytes a contribution signature covers: canonical `{negotiation_id, text}`. */
export declare function contributionMessage(negotiationId: string, text: string): Uint8Array;
/** The consensus id of a closed negotiation: sha256 hex of canonical `{negotiation_id, text, signings, timestamp}`. */
export declare function consensusId(
  negotiationId: string,
  text: string,
  signings: Record<string, string>,
  timestamp: string,
): string;
/** The closing rule: given the participants (or null) and every signer's latest contribution, `{text, signings}` when they close the negotiation, else null. */
export declare function closing(
  participants: string[] | null,
  latest: { signer: string; text: string; signature: string }[],
): { text: string; signings: Record<string, string> } | null;
/** The `key_data` of a joint peer named `name` owned by `owners` (in route order). */
export declare function jointKeyData(name: string, owners: string[]): string;
/** The peer id of a joint peer from its `key_data`. */
export declare function jointPeerId(keyData: string): string;
/** The controller's hash of a message in a box. */
export declare function messageHash(
  serial: number | null | undefined,
  sender: string,
  recipient: string,
  text: string,
): string;
/** The hash of a set of message hashes (order and duplicates do not matter). */
export declare function setHash(hashes: string[]): string;
/** SHA-256 of a string's UTF-8 or of bytes, lowercase hex. */
export declare function sha256Hex(data: BytesLike): string;
/** `bytes` random bytes (at most 1024) as lowercase hex, from the platform's CSPRNG. */
export declare function randomHex(bytes: number): string;

// ---------------------------------------------------------------- SPHINXMIX
/** The mix-net's Sphinx parameters; missing fields take the defaults (1024, 5). */
export interface SphinxParamsInput {
  BODY_LEN?: number;
  MAX_HOPS?: number;
  HEADER_LEN?: number;
}
/** The full geometry of Sphinx parameters. */
export interface SphinxParamsInfo {
  BODY_LEN: number;
  MAX_HOPS: number;
  HEADER_LEN: number;
  packetLen: number;
  textLen: number;
}
/** A mix key (hex). */
export interface MixKeyInfo {
  secret: string;
  publicKey: string;
  nodeId: string;
}
/** A message to post to the gateway's INBOX. */
export interface ClientMessage {
  recipient: string;
  text: string;
}
/** A single-use reply block and what reads its reply. */
export interface SurbInfo {
  /** Hand this out (base64 text). */
  surb: string;
  firstHop: string;
  /** The exit reports the reply to recipient `surb:<id>`. */
  id: string;
  /** Keep this secret to read the reply. */
  opener: JsonObject;
}
/** An input a batch dropped: its index, the code and the reason. */
export interface Rejection {
  index: number;
  code: string;
  message: string;
}
/** One output of a mix: a packet to forward, a final message or a reply. */
export interface BatchOutput {
  recipient: string;
  text: string;
  kind: 'Forward' | 'Final' | 'Reply';
}
/** What a batch of packet texts gives. */
export interface BatchResult {
  outputs: BatchOutput[];
  rejected: Rejection[];
}
/** A fresh mix key: `{secret, publicKey, nodeId}` (hex). */
export declare function sphinxKeygen(): MixKeyInfo;
/** The mix key of a secret: `{secret, publicKey, nodeId}`. */
export declare function sphinxKeyFromSecret(secret: string): MixKeyInfo;
/** The node id (32 hex) of a mix public key. */
export declare function sphinxNodeId(publicKey: string): string;
/** The full geometry of Sphinx parameters: `{BODY_LEN, MAX_HOPS, HEADER_LEN, packetLen, textLen}`. */
export declare function sphinxParams(params?: SphinxParamsInput | null): SphinxParamsInfo;
/** Wrap `message` for `destination` through `route` (the mixes' public keys): what to post to the gateway's INBOX. */
export declare function sphinxWrap(
  params: SphinxParamsInput | null | undefined,
  route: string[],
  destination: string,
  message: BytesLike,
): ClientMessage;
/** A single-use reply block through `route`: hand out `surb`, keep `opener` to read the reply. */
export declare function sphinxCreateSurb(
  params: SphinxParamsInput | null | undefined,
  route: string[],
): SurbInfo;
/** Answer through a SURB: `{recipient, text}` (recipient: the first hop's node id). */
export declare function sphinxSurbReply(
  params: SphinxParamsInput | null | undefined,
  surb: string,
  message: BytesLike,
): ClientMessage;
/** Read a reply delivered for a SURB (the exit's text) with its opener. */
export declare function sphinxOpenReply(opener: JsonObject, text: string): Uint8Array;
/** What a gateway admits from its INBOX texts: `{accepted: indexes, rejected}`. */
export declare function sphinxGatewayAccept(
  params: SphinxParamsInput | null | undefined,
  texts: string[],
): { accepted: number[]; rejected: Rejection[] };
/** Process one batch with the mix key `secret` and a fresh replay cache (one cycle's endpoint): peel a layer, drop bad and replayed packets, shuffle. */
export declare function sphinxProcessBatch(
  secret: string,
  params: SphinxParamsInput | null | undefined,
  texts: string[],
): BatchResult;

/** A route prepared once for many packets (the per-hop tables are computed once). */
export declare class SphinxRoute {
  constructor(params: SphinxParamsInput | null | undefined, route: string[]);
  readonly firstHop: string;
  wrap(destination: string, message: BytesLike): ClientMessage;
  createSurb(): SurbInfo;
  free(): void;
}
/** What `SphinxMix.processPackets` returns. */
export interface PacketBatchResult {
  /** The forwarded packets, shuffled, concatenated (`packetLen` bytes each). */
  packets: Uint8Array;
  /** Their next hops' node ids, 16 bytes each, in the same order. */
  nextHops: Uint8Array;
  /** One byte per input, in input order: 0 forwarded, 1 final, 2 reply, 3 rejected. */
  status: Uint8Array;
  /** The final and reply outputs, shuffled. */
  exits: BatchOutput[];
  /** The dropped inputs, in input order. */
  rejected: Rejection[];
}
/** A mix key with its replay cache, for successive batches (`saveCache()` keeps the cache across sessions). */
export declare class SphinxMix {
  constructor(secret: string, params?: SphinxParamsInput | null, cache?: Uint8Array | null);
  readonly publicKey: string;
  readonly nodeId: string;
  readonly cacheSize: number;
  processBatch(texts: string[]): BatchResult;
  /**
   * The bulk path: raw packets of `packetLen` bytes each, concatenated (no base64).
   * Replays are dropped and outputs shuffled as in `processBatch`.
   */
  processPackets(packets: Uint8Array): PacketBatchResult;
  saveCache(): Uint8Array;
  free(): void;
}

// ---------------------------------------------------------------- ZEUS
/** The session id trustee key shares are published for in a PANORAMIX mix-net. */
export declare const TRUSTEE_KEY_SESSION: string;
/** The Zeus endpoint types. */
export type ZeusEndpointType =
  | 'ZEUS_BOOTH'
  | 'ZEUS_TW_MIX'
  | 'ZEUS_SK_MIX'
  | 'ZEUS_SK_PARTIAL_DECRYPT'
  | 'ZEUS_SK_COMBINE';
/** A published trustee key share with its proof of knowledge. */
export interface TrusteeKey {
  public_key: string;
  proof: { commitment: string; response: string };
}
/** The election's parameters: an endpoint's `endpoint_params`, a transcript's `election`. */
export interface ZeusParams {
  /** Bound into every proof (a mix-net's cycle: `${joint}/${cycle}`). */
  session_id: string;
  /** 64 hex. */
  election_public_key: string;
  /** The trustees' published key shares with their proofs, in trustee order. */
  trustees?: TrusteeKey[];
  /** The session the trustee key proofs are bound to (default: `session_id`). */
  trustee_key_session?: string;
  /** The allowed answers (UTF-8, 1..=29 bytes each, distinct); none = free text. */
  answers?: string[];
  /** Eligible voter credentials (64 hex); none = any credential. */
  voters?: string[];
  /** The re-vote policy: a credential's last accepted ballot counts. */
  revote?: 'last';
  sk_rounds?: number;
}
/** A voter credential: the secret signs ballots, the credential is public. */
export interface VoterKey {
  /** 64 hex. Keep it secret. */
  secret: string;
  /** 64 hex: goes on the election's voter list. */
  credential: string;
}
/** What `PreparedBallot.audit()` reveals and checks. */
export interface BallotOpening {
  /** The answer the ballot opens to (UTF-8); null when it does not open (`ok` false). */
  answer: string | null;
  answerHex: string | null;
  /** The encryption randomness (64 hex), revealed. */
  randomness: string;
  /** Whether the opening checks and gives the prepared answer. */
  ok: boolean;
}
/**
 * A ballot prepared in the booth (the Benaloh challenge): cast it (`castText()`)
 * or audit it (`audit()`), never both.
 */
export declare class PreparedBallot {
  constructor(voterSecret: string, params: ZeusParams | string, answer: BytesLike);
  /** The ballot text (hex); post `castText()`. */
  readonly text: string;
  /** sha256 hex of the text. */
  readonly tracker: string;
  readonly credential: string;
  readonly audited: boolean;
  readonly cast: boolean;
  /** Reveal the randomness and check the opening; the ballot can no longer be cast.
   * Throws `ballot_cast` after `castText()`. */
  audit(): BallotOpening;
  /** The text to post; throws `ballot_audited` once audited. */
  castText(): string;
  free(): void;
}
/** A ballot as the booth checks it. */
export interface VerifiedBallot {
  /** 128 hex. */
  ciphertext: string;
  credential: string;
  tracker: string;
}
/** One outcome of a combination (see `zeusParseOutcome`). */
export interface ZeusOutcome {
  spoiled: boolean;
  /** The plaintext hex, or the decrypted element of a spoiled ballot. */
  hex: string;
  bytes: Uint8Array | null;
  answer: string | null;
}
/** One mix of a chain, as published: for `zeusAssembleElection`. */
export interface PublishedMix {
  mixer: string;
  outputs: string[];
  proof: string;
}
/** What a Zeus endpoint outputs: texts and the proof. */
export interface ZeusOutput {
  outputs: string[];
  proof: string;
}
/** What `zeusVerifyElection` checked. */
export interface VerifyReport {
  session_id: string;
  ballots: number;
  trustees: number;
  mixes: number;
  checks: string[];
}
/** A fresh trustee key share: `{secret, publicKey}` (hex). */
export declare function zeusTrusteeKeygen(): { secret: string; publicKey: string };
/** The public key share of a trustee secret. */
export declare function zeusTrusteePublicKey(secret: string): string;
/** Publish a key share with its proof of knowledge bound to `sessionId`. */
export declare function zeusPublishTrusteeKey(secret: string, sessionId: string): TrusteeKey;
/** Verify every published key share and return the election key (hex). */
export declare function zeusCombineTrusteeKeys(sessionId: string, keys: TrusteeKey[]): string;
/** A fresh voter credential: `{secret, credential}`. The credential is public (the voter list); the secret signs the voter's ballots. */
export declare function zeusVoterKeygen(): VoterKey;
/** The public credential of a voter secret. */
export declare function zeusVoterCredential(secret: string): string;
/** Prepare a ballot (Benaloh challenge): see `PreparedBallot`. */
export declare function zeusPrepareBallot(
  voterSecret: string,
  params: ZeusParams | string,
  answer: BytesLike,
): PreparedBallot;
/** A ballot text for `answer`, signed by the voter's credential (no audit possible). */
export declare function zeusEncryptBallot(
  voterSecret: string,
  params: ZeusParams | string,
  answer: BytesLike,
): string;
/** Verify a ballot as the booth does (validity proof, signature, eligibility). */
export declare function zeusVerifyBallot(params: ZeusParams | string, ballot: string): VerifiedBallot;
/** Check a revealed ballot (Benaloh): the answer it opens to, or throws. */
export declare function zeusAuditBallot(
  params: ZeusParams | string,
  ballot: string,
  randomness: string,
): string;
/** sha256 hex of a ballot text. */
export declare function zeusBallotTracker(ballot: string): string;
/** Parse an outcome text: plaintext hex or `spoiled:<hex>`. */
export declare function zeusParseOutcome(text: string): ZeusOutcome;
/**
 * Process a batch as a Zeus endpoint of type `type` does. `secret`: the trustee's
 * key share for `ZEUS_SK_PARTIAL_DECRYPT`, null for the other types.
 */
export declare function zeusProcess(
  secret: string | null | undefined,
  type: ZeusEndpointType,
  params: ZeusParams,
  inputs: string[],
): ZeusOutput;
/** Check that `outputs` and `proof` are a correct processing of `inputs` by an endpoint of this type; throws a `zeus_*` error naming the first failed check. */
export declare function zeusVerify(
  type: ZeusEndpointType,
  params: ZeusParams,
  inputs: string[],
  outputs: string[],
  proof: string,
): void;
/** Verify a whole election transcript (JSON text or object): the report, or throws. */
export declare function zeusVerifyElection(transcript: string | JsonObject): VerifyReport;
/** Run a whole honest election (one voter credential per plaintext). */
export declare function zeusSimulateElection(spec: {
  session_id: string;
  trustees: number;
  mixes: ('tw' | 'sk')[];
  answers?: string[];
  plaintexts: string[];
}): { transcript: string; trusteeSecrets: string[]; voterSecrets: string[] };
/**
 * The election transcript (JSON text) from a mix-net's published texts: the
 * booth's inputs in order, each mix in chain order, every trustee's partial
 * decryptions, the combination's outcomes. Verified before it is returned.
 */
export declare function zeusAssembleElection(
  params: ZeusParams | string,
  boothInputs: string[],
  mixes: PublishedMix[],
  shares: string[],
  outcomes: string[],
): string;
/** Shuffle and prove (`kind`: `tw`, the default, or `sk`): `{outputs, proof}`. */
export declare function zeusMix(
  params: ZeusParams,
  ciphertexts: string[],
  kind?: 'tw' | 'sk',
): ZeusOutput;
/** Verify a shuffle and its proof (throws a `zeus_*` PanoramixError). */
export declare function zeusVerifyMix(
  params: ZeusParams,
  inputs: string[],
  outputs: string[],
  proof: string,
): void;
/** One trustee's decryption shares (with `trusteeSecret`), with Chaum–Pedersen proofs, one per ciphertext. */
export declare function zeusPartialDecrypt(
  trusteeSecret: string,
  params: ZeusParams,
  ciphertexts: string[],
): string[];
/** Outcome texts sorted by ciphertext: plaintext hex or `spoiled:<hex>`. */
export declare function zeusCombine(params: ZeusParams, shares: string[]): string[];

// ---------------------------------------------------------------- endpoints
/** A message as the API lists it. */
export interface ApiMessage {
  text: string;
  serial?: number | null;
  sender?: string;
  recipient?: string;
  message_hash?: string;
  [key: string]: unknown;
}
/** An endpoint as the API describes it. */
export interface ApiEndpoint {
  endpoint_id: string;
  endpoint_type: string;
  endpoint_params?: Json;
  peer_id?: string;
  status?: string;
  last_consensus_id?: string | null;
  process_proof?: Json;
  [key: string]: unknown;
}
/** A contributor's backend secrets (hex): these fields only. */
export interface BackendSecrets {
  /** Sphinx mix key secret (hex). */
  mix?: string;
  /** Zeus trustee key share (hex). */
  trustee?: string;
  /** The mix key's replay cache (hex), kept across cycles. */
  replay?: string;
}
/** What `processEndpoint` returns. */
export interface Processed {
  outputs: { recipient: string; text: string }[];
  proof: string;
  dropped: [number, string][];
  /** SPHINXMIX: the replay cache after this batch (hex). */
  replay?: string;
}
/**
 * One endpoint's batch, as its owner's agent processes it. `secrets`: the owner's
 * backend secrets, null where the endpoint needs none.
 */
export declare function processEndpoint(
  secrets: BackendSecrets | null | undefined,
  endpoint: ApiEndpoint,
  inputs: ApiMessage[],
): Processed;
/** Verify a processed endpoint from its ACCEPTED `inputs`, OUTBOX `outputs` and `process_proof`; throws `verify_failed` or a `zeus_*` error. */
export declare function verifyEndpoint(
  endpoint: ApiEndpoint,
  inputs: ApiMessage[],
  outputs: ApiMessage[],
  proof?: string | null,
): void;
/** An endpoint of a cycle's graph, as the owners agree on it (before it exists). */
export interface GraphEndpoint {
  endpoint_id: string;
  peer_id: string;
  endpoint_type: string;
  size_min: number;
  size_max: number;
  public: boolean;
  description: string;
  links: { from_endpoint_id: string; from_box: string; to_box: string }[];
  endpoint_params: JsonObject;
}
/**
 * The endpoints of `cycle` of a mix-net: its description (the joint peer's
 * `crypto_params`), the joint peer, its owners in order and, for ZEUS, their trustee
 * key records (empty for display). The same graph every contributor agrees on.
 * With threshold trustees (`spec.params.THRESHOLD`), `key` is the key generation's
 * result (the output of `<name>-dkg-key`, an object or its JSON text): every ZEUS
 * endpoint carries its election key and record (`election_public_key`, `dkg`), the
 * combination is the first owner's (it closes with `t` partial decryptions), and
 * each trustee's partial decryption, made on its own peer at tally time, comes
 * before it in trustee order.
 */
export declare function mixnetGraph(
  spec: JsonObject,
  joint: string,
  owners: string[],
  trustees: JsonObject[] | null | undefined,
  cycle: number,
  key?: DkgKeyResult | string | null,
): GraphEndpoint[];
/**
 * The result of a threshold election's key generation (the output of the
 * `<name>-dkg-key` endpoint, which every owner recomputes from the public dealings
 * and verdicts): the election key, the qualified and disqualified trustees (1-based)
 * with why, every trustee's verification key, and the public record `dkg`.
 */
export interface DkgKeyResult {
  election_public_key: string;
  qualified: number[];
  disqualified: [number, string][];
  verification_keys: string[];
  dkg: JsonObject;
}
/**
 * The key generation's endpoints of a ZEUS mix-net with threshold trustees
 * (`spec.params.THRESHOLD`) whose joint peer is owned by `owners`: each trustee's
 * `<name>-dkg-deal<j>` and `<name>-dkg-verdict<j>` (entries of its own peer, one
 * signed message each), in trustee order (the trustees are `spec.params.TRUSTEES`,
 * or the owners), then the owners' `<name>-dkg-key` (linked from all of them);
 * `trustees`: the trustees' key records in trustee order.
 */
export declare function dkgGraph(spec: JsonObject, joint: string, owners: string[], trustees: JsonObject[]): GraphEndpoint[];
/** What `ContributorMachine.poll` asks for. */
export type MachinePoll =
  | { kind: 'http'; method: HttpMethod; path: string; body: string | null }
  | { kind: 'save'; state: string }
  | { kind: 'done'; acted: boolean; finished: boolean; events: string[] }
  | { kind: 'failed'; code: string; message: string };
/**
 * The contributor protocol's state machine, for hosts of their own (`Contributor`
 * is the package's host): begin a step, then answer what `poll()` asks until it is
 * `done` or `failed`. With a fixed `seed` a recorded run replays to the same requests.
 */
export declare class ContributorMachine {
  constructor(
    identity: string,
    controllerId: string,
    backend: 'SPHINXMIX' | 'ZEUS',
    secrets: BackendSecrets | null | undefined,
    state: JsonObject | string,
    seed?: string,
  );
  /** Start a step at `now` (seconds since the epoch). */
  beginStep(now: number): void;
  /** What to do next. */
  poll(): MachinePoll;
  /** The answer to the pending request: its status and body text. */
  handle(status: number, text: string): void;
  /** The pending state was stored. */
  saved(): void;
  /** The state as of the last completed step. */
  state(): JsonObject;
  /** Milliseconds spent in the backend's cryptography. */
  cryptoMillis(): number;
  /** Free its memory. */
  free(): void;
}

export * from './client.js';
export * from './contributor.js';
export * from './formation.js';
