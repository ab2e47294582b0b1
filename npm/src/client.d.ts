// Type declarations of the API client of @panoramix/mixnet (client.js): a
// fetch-based client of the controller API that signs every request.
import type { Json, JsonObject, Envelope, ApiEndpoint, ApiMessage } from './index.js';
import { PanoramixError } from './index.js';

// ---------------------------------------------------------------- API client
/** The methods of the controller API. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** An action for a negotiation: a request whose data and info are fixed. */
export interface Action {
  method: HttpMethod;
  path: string;
  data: JsonObject;
  info: JsonObject;
}
/** Options of `PanoramixClient`: a `fetch` to use instead of the global one. */
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
