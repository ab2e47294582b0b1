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

// ---------------------------------------------------------------- loading and errors
/** Bytes, or a string standing for its UTF-8 encoding. */
export type BytesLike = Uint8Array | ArrayBuffer | string;
/** A JSON value (floats are refused by the canonical encoding). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
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
export declare function isContributorInitialized(): boolean;

// ---------------------------------------------------------------- core
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
export interface Envelope {
  data: JsonObject;
  info: JsonObject;
  by_consensus?: JsonObject;
  meta: { signature: string; key_data: string };
}
export interface VerifiedEnvelope {
  signerId: string;
  keyData: string;
  signature: string;
  data: JsonObject;
  info: JsonObject;
  byConsensus: JsonObject | null;
}
export declare function version(): string;
export declare function generateKeypair(): KeyInfo;
export declare function keypairFromSecret(secret: string): KeyInfo;
export declare function keyId(keyData: string): string;
export declare function sign(secret: string, domain: SignatureDomain, message: BytesLike): string;
export declare function verify(
  keyData: string,
  domain: SignatureDomain,
  message: BytesLike,
  signature: string,
): boolean;
export declare function canonicalEncode(value: Json): string;
export declare function canonicalDecode(text: BytesLike): Json;
export declare function signEnvelope(
  secret: string,
  data: JsonObject,
  info: JsonObject,
  byConsensus?: JsonObject | null,
): Envelope;
export declare function verifyEnvelope(envelope: Envelope | JsonObject): VerifiedEnvelope;
export declare function actionBody(data: JsonObject, info: JsonObject): Json;
export declare function contributionText(body: Json, meta: JsonObject): string;
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
export declare function consensusId(
  negotiationId: string,
  text: string,
  signings: Record<string, string>,
  timestamp: string,
): string;
export declare function closing(
  participants: string[] | null,
  latest: { signer: string; text: string; signature: string }[],
): { text: string; signings: Record<string, string> } | null;
export declare function jointKeyData(name: string, owners: string[]): string;
export declare function jointPeerId(keyData: string): string;
export declare function messageHash(
  serial: number | null | undefined,
  sender: string,
  recipient: string,
  text: string,
): string;
export declare function setHash(hashes: string[]): string;
export declare function sha256Hex(data: BytesLike): string;
export declare function randomHex(bytes: number): string;

// ---------------------------------------------------------------- SPHINXMIX
/** The mix-net's Sphinx parameters; missing fields take the defaults (1024, 5). */
export interface SphinxParamsInput {
  BODY_LEN?: number;
  MAX_HOPS?: number;
  HEADER_LEN?: number;
}
export interface SphinxParamsInfo {
  BODY_LEN: number;
  MAX_HOPS: number;
  HEADER_LEN: number;
  packetLen: number;
  textLen: number;
}
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
export interface SurbInfo {
  /** Hand this out (base64 text). */
  surb: string;
  firstHop: string;
  /** The exit reports the reply to recipient `surb:<id>`. */
  id: string;
  /** Keep this secret to read the reply. */
  opener: JsonObject;
}
export interface Rejection {
  index: number;
  code: string;
  message: string;
}
export interface BatchOutput {
  recipient: string;
  text: string;
  kind: 'Forward' | 'Final' | 'Reply';
}
export interface BatchResult {
  outputs: BatchOutput[];
  rejected: Rejection[];
}
export declare function sphinxKeygen(): MixKeyInfo;
export declare function sphinxKeyFromSecret(secret: string): MixKeyInfo;
export declare function sphinxNodeId(publicKey: string): string;
export declare function sphinxParams(params?: SphinxParamsInput | null): SphinxParamsInfo;
export declare function sphinxWrap(
  params: SphinxParamsInput | null | undefined,
  route: string[],
  destination: string,
  message: BytesLike,
): ClientMessage;
export declare function sphinxCreateSurb(
  params: SphinxParamsInput | null | undefined,
  route: string[],
): SurbInfo;
export declare function sphinxSurbReply(
  params: SphinxParamsInput | null | undefined,
  surb: string,
  message: BytesLike,
): ClientMessage;
export declare function sphinxOpenReply(opener: JsonObject, text: string): Uint8Array;
export declare function sphinxGatewayAccept(
  params: SphinxParamsInput | null | undefined,
  texts: string[],
): { accepted: number[]; rejected: Rejection[] };
export declare function sphinxProcessBatch(
  secret: string,
  params: SphinxParamsInput | null | undefined,
  texts: string[],
): BatchResult;

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
export declare const TRUSTEE_KEY_SESSION: string;
export type ZeusEndpointType =
  | 'ZEUS_BOOTH'
  | 'ZEUS_TW_MIX'
  | 'ZEUS_SK_MIX'
  | 'ZEUS_SK_PARTIAL_DECRYPT'
  | 'ZEUS_SK_COMBINE';
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
export interface ZeusOutput {
  outputs: string[];
  proof: string;
}
export interface VerifyReport {
  session_id: string;
  ballots: number;
  trustees: number;
  mixes: number;
  checks: string[];
}
export declare function zeusTrusteeKeygen(): { secret: string; publicKey: string };
export declare function zeusTrusteePublicKey(secret: string): string;
export declare function zeusPublishTrusteeKey(secret: string, sessionId: string): TrusteeKey;
export declare function zeusCombineTrusteeKeys(sessionId: string, keys: TrusteeKey[]): string;
export declare function zeusVoterKeygen(): VoterKey;
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
export declare function zeusVerify(
  type: ZeusEndpointType,
  params: ZeusParams,
  inputs: string[],
  outputs: string[],
  proof: string,
): void;
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
export declare function zeusMix(
  params: ZeusParams,
  ciphertexts: string[],
  kind?: 'tw' | 'sk',
): ZeusOutput;
export declare function zeusVerifyMix(
  params: ZeusParams,
  inputs: string[],
  outputs: string[],
  proof: string,
): void;
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
export interface BackendSecrets {
  /** Sphinx mix key secret (hex). */
  mix?: string;
  /** Zeus trustee key share (hex). */
  trustee?: string;
  /** The mix key's replay cache (hex), kept across cycles. */
  replay?: string;
}
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
export declare function verifyEndpoint(
  endpoint: ApiEndpoint,
  inputs: ApiMessage[],
  outputs: ApiMessage[],
  proof?: string | null,
): void;

// ---------------------------------------------------------------- API client
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface Action {
  method: HttpMethod;
  path: string;
  data: JsonObject;
  info: JsonObject;
}
export interface ClientOptions {
  fetch?: typeof globalThis.fetch;
}
/** The controller refused a request. */
export declare class ApiError extends PanoramixError {
  readonly status: number;
}
/** A JSON reply of the controller: `data`, and `next` on a page that continues. */
export interface ApiReply<T = Json> {
  data: T;
  /** Paged listings: the cursor of the next page (absent on the last one). */
  next?: number | null;
}
/** A peer as the API describes it. */
export interface ApiPeer {
  peer_id: string;
  name: string;
  key_data: string;
  key_type: string;
  crypto_backend: string;
  crypto_params: Json;
  /** The owners of a joint peer (in route order). */
  owners: ({ owner_key_id: string } | string)[];
  status: string;
  roles?: string[];
  consensus_id?: string;
  [key: string]: unknown;
}
/** One signature of a closed negotiation. */
export interface ApiSigning {
  signer_key_id: string;
  signature: string;
  key_data: string;
}
/** A negotiation as the API describes it. */
export interface ApiNegotiation {
  id: string;
  title: string;
  participants?: string[] | null;
  status: string;
  text?: string | null;
  timestamp?: string | null;
  /** The consensus id, once the negotiation closed. */
  consensus?: string | null;
  signings: ApiSigning[];
  [key: string]: unknown;
}
/** A contribution as the API lists it. */
export interface ApiContribution {
  id: number;
  negotiation_id: string;
  signer_key_id: string;
  key_data: string;
  text: string;
  signature: string;
  latest: boolean;
  [key: string]: unknown;
}
/** What contributing returns: `consensus` is set when the contribution closed the negotiation. */
export interface ContributeResult {
  consensus?: string | null;
  [key: string]: unknown;
}
/** A signing client for one peer (its identity secret first, as everywhere). */
export declare class PanoramixClient {
  /** Connect as the identity with this secret (64 hex): reads the controller's id. */
  static connect(secret: string, baseUrl: string, options?: ClientOptions): Promise<PanoramixClient>;
  constructor(secret: string, baseUrl: string, controllerId: string, options?: ClientOptions);
  readonly baseUrl: string;
  /** This key's id (its peer id once registered). */
  readonly id: string;
  readonly keyData: string;
  controllerId: string;
  /** An unsigned GET: the parsed JSON reply. */
  get(pathAndQuery: string): Promise<Json>;
  info(resource: string, operation: string, extra?: JsonObject): JsonObject;
  envelope(data: JsonObject, info: JsonObject, byConsensus?: JsonObject | null): Envelope;
  /** Sign and send `{data, info, by_consensus?}`: the controller's reply. */
  send(
    method: HttpMethod,
    path: string,
    data: JsonObject,
    info: JsonObject,
    byConsensus?: JsonObject | null,
  ): Promise<ApiReply>;
  call(
    method: HttpMethod,
    path: string,
    resource: string,
    operation: string,
    data: JsonObject,
  ): Promise<ApiReply>;
  createNegotiation(title: string, participants?: string[]): Promise<string>;
  contribute(negotiationId: string, text: string): Promise<ContributeResult>;
  negotiation(id: string): Promise<ApiNegotiation>;
  contributions(negotiationId: string): Promise<ApiContribution[]>;
  action(
    method: HttpMethod,
    path: string,
    resource: string,
    operation: string,
    data: JsonObject,
    extraInfo?: JsonObject,
  ): Action;
  static textFor(actions: Action[], accept?: boolean, extraMeta?: JsonObject): string;
  selfConsensus(title: string, actions: Action[]): Promise<string>;
  apply(action: Action, consensusId: string, part?: number | null): Promise<ApiReply>;
  registerAction(name: string, role: string | null | undefined, backend: string, cryptoParams?: Json): Action;
  /** Register this key as an individual peer, by self-consensus: the peer. */
  register(name: string, role: string | null | undefined, backend: string, cryptoParams?: Json): Promise<ApiPeer>;
  jointPeerAction(name: string, owners: string[], backend: string, cryptoParams?: Json): Action;
  peer(id: string): Promise<ApiPeer>;
  endpointAction(spec: JsonObject): Action;
  transitionAction(
    endpointId: string,
    onLastConsensusId: string,
    status: string,
    hashes: string[],
    proof?: Json,
  ): Action;
  endpoint(id: string): Promise<ApiEndpoint>;
  /** Post a message: the message as stored. */
  postMessage(
    endpointId: string,
    box: string,
    sender: string,
    recipient: string,
    text: string,
    serial?: number | null,
  ): Promise<ApiMessage>;
  messages(endpointId: string, box: string): Promise<ApiMessage[]>;
}

// ---------------------------------------------------------------- mix-nets
export interface MixnetSpec {
  name: string;
  backend: 'SPHINXMIX' | 'ZEUS' | string;
  params: JsonObject;
  size_min: number;
  size_max: number;
  election_public_key?: string;
  terms?: string;
  /** ZEUS: the question, its allowed answers and the eligible voters' credentials. */
  election?: { question?: string; options?: string[]; voters?: string[] };
  [key: string]: unknown;
}
export declare function endpointIds(
  spec: MixnetSpec,
  cycle: number,
  owners: string[],
): { entry: string; result: string; mixes: string[]; decryptions: string[] };
export interface StepResult {
  acted: boolean;
  status: string;
  outputs?: number;
  dropped?: [number, string][];
}
export declare class Contributor {
  /** `secrets`: the backend secrets (`{mix}` or `{trustee}`); `client`: the owner's client. */
  constructor(secrets: BackendSecrets | null | undefined, client: PanoramixClient);
  readonly client: PanoramixClient;
  readonly replayCache: string | undefined;
  processStep(endpoint: string | ApiEndpoint): Promise<StepResult>;
  verifySource(endpoint: string | ApiEndpoint): Promise<{ inputs: number; outputs: number }>;
  step(joint: string, cycle: number): Promise<(StepResult & { endpoint: string })[]>;
}
export declare class MixnetSender {
  static open(
    client: PanoramixClient,
    joint: string,
    options?: { voterSecret?: string },
  ): Promise<MixnetSender>;
  readonly client: PanoramixClient;
  readonly joint: string;
  readonly spec: MixnetSpec;
  readonly owners: string[];
  /** ZEUS: the voter credential secret ballots are signed with. */
  voterSecret: string | undefined;
  ids(cycle: number): { entry: string; result: string; mixes: string[]; decryptions: string[] };
  /** ZEUS: the parameters of `cycle` from the mix-net's description. */
  zeusParams(cycle: number): ZeusParams;
  /** ZEUS: the booth endpoint's `endpoint_params` for `cycle`, read from the controller. */
  electionParams(cycle: number): Promise<ZeusParams>;
  /** ZEUS: a prepared ballot (throws `missing_credential` without a voter secret). */
  prepareBallot(
    cycle: number,
    answer: BytesLike,
    options?: { voterSecret?: string; params?: ZeusParams },
  ): PreparedBallot;
  /** ZEUS: throws `missing_credential` without a voter secret. */
  encrypt(
    cycle: number,
    recipient: string | null,
    message: BytesLike,
    options?: { voterSecret?: string },
  ): ClientMessage;
  /** Encrypt and post to the entry endpoint of `cycle`: the posted message. */
  send(
    cycle: number,
    recipient: string | null,
    message: BytesLike,
    options?: { voterSecret?: string },
  ): Promise<ApiMessage>;
  /** ZEUS: post a prepared ballot (throws `ballot_audited`): the posted message. */
  cast(cycle: number, prepared: PreparedBallot): Promise<ApiMessage>;
  /**
   * ZEUS: the cycle's election transcript (JSON text), gathered from the controller
   * and verified; null until every stage is PROCESSED. Needs the contributor module.
   */
  electionTranscript(cycle: number): Promise<string | null>;
  isOpen(cycle: number): Promise<boolean>;
  results(
    cycle: number,
  ): Promise<{ recipient: string; text: string; bytes: Uint8Array | null; spoiled: boolean }[] | null>;
}
