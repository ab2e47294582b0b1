// Type declarations of the mix-net helpers of @panoramix/mixnet (contributor.js):
// a contributor (the contributor protocol's state machine) and a sender for a mix-net.
import type {
  ApiMessage,
  BackendSecrets,
  BytesLike,
  ClientMessage,
  JsonObject,
  PreparedBallot,
  ZeusParams,
} from './index.js';
import type { PanoramixClient } from './client.js';

// ---------------------------------------------------------------- mix-nets
/** A mix-net's description (its joint peer's `crypto_params`). */
export interface MixnetSpec {
  name: string;
  backend: 'SPHINXMIX' | 'ZEUS' | string;
  /**
   * The backend's parameters. ZEUS: `MIX_PROOF`, `SK_ROUNDS` and, for threshold
   * trustees, `THRESHOLD` (t, 1 ≤ t ≤ the number of trustees) and optionally `TRUSTEES`
   * (their peer ids, apart from the owners; default: the owners): the trustees run a key
   * generation before the first cycle and any t of them can tally (docs/zeus.md §3.5).
   */
  params: JsonObject;
  size_min: number;
  size_max: number;
  /**
   * Seconds after which a cycle's entry endpoint closes with at least `size_min`
   * messages; with it set, it closes before that only once it holds `size_max`.
   * Absent: it closes at `size_min` (docs/mixnet.md §1).
   */
  close_after?: number;
  election_public_key?: string;
  terms?: string;
  /** ZEUS: the question, its allowed answers and the eligible voters' credentials. */
  election?: { question?: string; options?: string[]; voters?: string[] };
  [key: string]: unknown;
}
/** The endpoint ids of a mix-net's cycle: `<name>-<cycle>-gw|booth|mixN|decrN|combine`. */
export declare function endpointIds(
  spec: MixnetSpec,
  cycle: number,
  owners: string[],
): { entry: string; result: string; mixes: string[]; decryptions: string[] };
/**
 * A contributor of one mix-net: the contributor protocol's state machine (the same
 * Rust code as the native agent) driven over an API client.
 */
export declare class Contributor {
  /**
   * `secrets`: the backend secrets (`{mix}` or `{trustee}`); `client`: the owner's
   * client; `options`: the mix-net (`joint`) or a saved `state`, and the host's hooks.
   */
  constructor(
    secrets: BackendSecrets | null | undefined,
    client: PanoramixClient,
    options: ContributorOptions,
  );
  readonly client: PanoramixClient;
  /** The state as of the last completed step. */
  readonly state: ContributorState;
  /** The cycle being worked on. */
  readonly cycle: number;
  /** Milliseconds spent in the backend's cryptography. */
  readonly cryptoMillis: number;
  /** One step of the contributor protocol. */
  step(): Promise<ContributorStep>;
  /**
   * After a step that did nothing: wait for the controller's next change (its change
   * feed, docs/protocol.md §5.10), at most `maxMs` (default 1000) and at least 20 ms;
   * where the controller answers at once (a Worker) or has no feed, `idleMs`
   * (default 150) instead.
   */
  waitForChange(options?: { idleMs?: number; maxMs?: number }): Promise<void>;
  /**
   * Step until finished (or aborted); resolves to the final state. After a step
   * that did nothing it waits for the controller's next change (`waitForChange`).
   */
  run(options?: {
    signal?: AbortSignal;
    idleMs?: number;
    onError?: (error: Error) => void;
  }): Promise<ContributorState>;
  /** Free the machine's memory. */
  free(): void;
}
/** How a `Contributor` is set up. */
export interface ContributorOptions {
  /** The mix-net's joint peer id (a new contributor state). */
  joint?: string;
  /** A state saved by `onSave` (object or JSON text), instead of `joint`. */
  state?: ContributorState | string;
  /** The backend (default: ZEUS with a trustee secret, SPHINXMIX otherwise). */
  backend?: 'SPHINXMIX' | 'ZEUS';
  /** Stop after this many cycles (0: never). */
  maxCycles?: number;
  /** Store this state (JSON text) durably; the machine waits for it. */
  onSave?: (state: string) => void | Promise<void>;
  /** Each event of a step, as text. */
  onEvent?: (event: string) => void;
  /** 64 hex: fixed randomness, to replay a recorded run. */
  seed?: string;
}
/** What a contributor keeps durably. */
export interface ContributorState {
  /** The joint peer of the mix-net. */
  mixnet: string;
  /** The cycle being worked on. */
  cycle: number;
  /** Stop after this many cycles (0: never). */
  max_cycles: number;
  /** Cycles completed, across reconfigurations. */
  completed: number;
  /** Outputs computed for own endpoints and not yet agreed. */
  processed: Record<string, { outputs: { recipient: string; text: string }[]; proof: string; dropped: [number, string][] }>;
  /** Complaints filed. */
  complaints: string[];
  /** The backend's own state (hex), e.g. the Sphinx replay cache. */
  backend_state?: string;
}
/** What one step did. */
export interface ContributorStep {
  /** Something changed on the controller. */
  acted: boolean;
  /** The contributor is done (cycle limit, or it left the mix-net). */
  finished: boolean;
  /** What it did, as text. */
  events: string[];
}
/** A client of one mix-net: encrypts for it, posts to a cycle's entry, reads the results. ZEUS ballots are signed with a voter credential secret. */
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
   * and verified; null until every stage is PROCESSED (threshold trustees: but an
   * absent trustee's partial decryption; the shares are those the combination took).
   * Needs the contributor module.
   */
  electionTranscript(cycle: number): Promise<string | null>;
  isOpen(cycle: number): Promise<boolean>;
  results(
    cycle: number,
  ): Promise<{ recipient: string; text: string; bytes: Uint8Array | null; spoiled: boolean }[] | null>;
}
