// Type declarations of the mix-net helpers of @panoramix/mixnet (contributor.js):
// a contributor's processing of its own endpoints and a sender for a mix-net.
import type {
  ApiEndpoint,
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
  params: JsonObject;
  size_min: number;
  size_max: number;
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
/** What a processing step did. */
export interface StepResult {
  acted: boolean;
  status: string;
  outputs?: number;
  dropped?: [number, string][];
}
/** A contributor: its backend secrets and an API client. Processes its own endpoints (Sphinx mixes, Zeus mixes and partial decryptions) as the native agent does. */
export declare class Contributor {
  /** `secrets`: the backend secrets (`{mix}` or `{trustee}`); `client`: the owner's client. */
  constructor(secrets: BackendSecrets | null | undefined, client: PanoramixClient);
  readonly client: PanoramixClient;
  readonly replayCache: string | undefined;
  processStep(endpoint: string | ApiEndpoint): Promise<StepResult>;
  verifySource(endpoint: string | ApiEndpoint): Promise<{ inputs: number; outputs: number }>;
  step(joint: string, cycle: number): Promise<(StepResult & { endpoint: string })[]>;
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
   * and verified; null until every stage is PROCESSED. Needs the contributor module.
   */
  electionTranscript(cycle: number): Promise<string | null>;
  isOpen(cycle: number): Promise<boolean>;
  results(
    cycle: number,
  ): Promise<{ recipient: string; text: string; bytes: Uint8Array | null; spoiled: boolean }[] | null>;
}
