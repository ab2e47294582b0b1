// Type declarations of the formation API of @panoramix/mixnet (formation.js):
// forming a mix-net from JavaScript. Each function runs one procedure of the
// formation state machine (the Rust `panoramix_contributor::formation`, the same
// code as the native wizards) over a client; the functions that wait on others
// resolve null while there is nothing to do yet (call them again later). The flow:
// every contributor `registerContributor`; the coordinator `createMixnet` and hands
// each joiner an invitation; each joiner `reviewInvitation` then `joinMixnet`; the
// coordinator `proposeJoint` (until not null); each joiner `confirmJoint` (until
// not null); the coordinator `finishMixnet` (until not null: the joint peer id).
// A refusal of the controller rejects with an `ApiError`; a failed check with a
// PanoramixError `refused` (or `bad_answer`, `step_failed`).
import type { JsonObject } from './index.js';
import type { ApiPeer, PanoramixClient } from './client.js';
import type { MixnetSpec } from './contributor.js';

// ---------------------------------------------------------------- forming a mix-net
/**
 * Register the client's key as a contributor peer for `backend`, publishing
 * `cryptoParams` (`{mix_key}` for SPHINXMIX, `{trustee_key}` from
 * `zeusPublishTrusteeKey` for ZEUS), unless it is registered. Resolves the peer.
 */
export declare function registerContributor(
  client: PanoramixClient,
  name: string,
  backend: 'SPHINXMIX' | 'ZEUS' | string,
  cryptoParams: JsonObject,
): Promise<ApiPeer>;
/** The coordinator's proposal: its negotiation and one invitation per joiner. */
export interface MixnetProposal {
  /** The `mixnet:<name>` negotiation. */
  negotiation: string;
  /** `<negotiation>|<secret>`, each for one joiner, handed out privately. */
  invitations: string[];
}
/** The coordinator: propose the mix-net `spec` with `invitations` invitations. */
export declare function createMixnet(
  client: PanoramixClient,
  spec: MixnetSpec,
  invitations: number,
): Promise<MixnetProposal>;
/** A joiner: the proposal behind an invitation (its description and proposer's peer id). */
export declare function reviewInvitation(
  client: PanoramixClient,
  invitation: string,
): Promise<{ spec: MixnetSpec; proposer: string }>;
/** A joiner: answer the proposal with the invitation, having reviewed `reviewedSpec`. */
export declare function joinMixnet(
  client: PanoramixClient,
  invitation: string,
  reviewedSpec: MixnetSpec,
): Promise<void>;
/**
 * The coordinator, once every invitation is used: propose the joint peer to the
 * owners (their published keys checked). Resolves the `joint:` negotiation id, or
 * null while invitations are pending.
 */
export declare function proposeJoint(
  client: PanoramixClient,
  negotiation: string,
  spec: MixnetSpec,
  invitations: string[],
): Promise<string | null>;
/**
 * The first owner, without invitations: propose the joint peer of `spec` owned by
 * `owners` (in route order) to them, its description completed from their checked
 * keys. Resolves the `joint:` negotiation id. A threshold election
 * (`spec.params.THRESHOLD = t`, ZEUS only) needs 1 ≤ t ≤ the number of trustees
 * (`spec.params.TRUSTEES`, distinct peer ids, or `owners.length`)
 * (otherwise `invalid_argument`, as in `proposeJoint`, `completeSpec` and
 * `confirmJoint`).
 */
export declare function proposeJointAmong(
  client: PanoramixClient,
  spec: MixnetSpec,
  owners: string[],
): Promise<string>;
/** `spec` with what derives from the owners' checked keys (ZEUS: the election key). */
export declare function completeSpec(
  client: PanoramixClient,
  spec: MixnetSpec,
  owners: string[],
): Promise<MixnetSpec>;
/**
 * A joiner: check the joint-peer proposal against `reviewedSpec` and co-sign.
 * Resolves the joint peer id once signed, or null while there is no proposal (or
 * this key signed it already).
 */
export declare function confirmJoint(
  client: PanoramixClient,
  reviewedSpec: MixnetSpec,
): Promise<string | null>;
/** The coordinator: create the joint peer of `name` once every owner signed; its id, or null. */
export declare function finishMixnet(client: PanoramixClient, name: string): Promise<string | null>;

// ---------------------------------------------------------------- reconfiguring a mix-net
/** A successor proposal, checked (all but whether its new owners are acceptable). */
export interface SuccessorProposal {
  /** The `successor:<old joint>` negotiation. */
  negotiation: string;
  /** The proposed text, to co-sign as it is (`coSign`). */
  text: string;
  /** The successor's owners, in route order. */
  owners: string[];
  /** The successor's joint peer id. */
  successor: string;
}
/** The first owner of `oldJoint`: propose a successor `newName` owned by `newOwners`; the negotiation id. */
export declare function proposeSuccessor(
  client: PanoramixClient,
  oldJoint: string,
  newOwners: string[],
  newName: string,
): Promise<string>;
/** Another participant: the checked successor proposal, or null (none, or signed already). */
export declare function reviewSuccessor(
  client: PanoramixClient,
  oldJoint: string,
): Promise<SuccessorProposal | null>;
/** Sign `text` as it is in `negotiation`. */
export declare function coSign(client: PanoramixClient, negotiation: string, text: string): Promise<void>;
/**
 * `reviewSuccessor`, then `coSign` if `acceptOwners(owners)` says yes (else it
 * rejects with `refused`). Resolves the successor's id once signed, or null.
 */
export declare function confirmSuccessor(
  client: PanoramixClient,
  oldJoint: string,
  acceptOwners: (owners: string[]) => boolean | Promise<boolean>,
): Promise<string | null>;
/** The successor of a mix-net once its owners agreed on it by the rule (an owner of the successor creates it if nobody has yet; anyone else only learns its id); its id, or null. */
export declare function mixnetSuccessor(client: PanoramixClient, oldJoint: string): Promise<string | null>;
/** The successor the owners agreed on, created or not, or null. */
export declare function agreedSuccessor(
  client: PanoramixClient,
  oldJoint: string,
): Promise<{ successor: string; owners: string[] } | null>;
/** Follow a mix-net's successors to the current one; its id. */
export declare function currentMixnet(client: PanoramixClient, joint: string): Promise<string>;
