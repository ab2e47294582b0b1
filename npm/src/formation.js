// Forming a mix-net from JavaScript: registering contributors, proposing a mix-net
// with invitations, joining it, agreeing on its joint peer, and reconfiguring it
// into a successor. Each function runs one procedure of the formation state
// machine (the Rust `panoramix_contributor::formation`, in the contributor module,
// the same code as the native `panoramix` wizards) over a client: the machine
// decides, checks and signs everything; this file only sends its requests.
//
// The flow (seed appendix A):
//   every contributor: registerContributor(client, name, backend, cryptoParams)
//   coordinator:       {negotiation, invitations} = createMixnet(client, spec, n)
//                      (hands one invitation to each joiner, out of band)
//   each joiner:       {spec} = reviewInvitation(client, invitation); (its user reviews spec)
//                      joinMixnet(client, invitation, spec)
//   coordinator:       proposeJoint(client, negotiation, spec, invitations) until not null
//                      (or, owners known without invitations: proposeJointAmong(client, spec, owners))
//   each joiner:       confirmJoint(client, spec) until not null (the joint peer id)
//   coordinator:       finishMixnet(client, spec.name) until not null (the joint peer id)
// The functions that wait on others return null while there is nothing to do yet:
// call them again later.
import { PanoramixError } from './errors.js';
import * as a from './args.js';
import { check } from './args.js';
import { ApiError, clientHost, PanoramixClient } from './client.js';
import { FormationMachine } from './processing.js';

// argument checks shared by the functions (see args.js)
const CLIENT = ['client', a.instanceOf(PanoramixClient)];
const SPEC_SHAPE = a.shape('a mix-net description ({name, backend, params, size_min, size_max, …})', {
  name: a.nonEmptyString,
  backend: a.nonEmptyString,
  params: a.object,
  size_min: a.count,
  size_max: a.count,
});
const INVITATION = ['invitation', a.nonEmptyString];
/**
 * Threshold trustees (`spec.params.THRESHOLD = t`, docs/zeus.md §3.5): only for
 * ZEUS, an integer with 1 ≤ t ≤ the number of trustees: `spec.params.TRUSTEES`
 * (a list of peer ids apart from the owners) when given, else the number of
 * owners `n` (when known). Throws `invalid_argument` naming the argument `arg`.
 */
function checkThreshold(name, arg, spec, n) {
  const t = spec.params.THRESHOLD;
  const trustees = spec.params.TRUSTEES;
  const bad = (why, field = 'THRESHOLD') => {
    throw new PanoramixError('invalid_argument', `${name}: ${arg}.params.${field} must be ${why}`);
  };
  if (t === undefined) {
    if (trustees !== undefined) bad('absent without a THRESHOLD', 'TRUSTEES');
    return;
  }
  if (spec.backend !== 'ZEUS') bad(`absent for a ${spec.backend} mix-net (threshold trustees are ZEUS only)`);
  if (!Number.isSafeInteger(t) || t < 1) bad(`a positive integer, got ${a.describe(t)}`);
  if (trustees !== undefined) {
    const ok = Array.isArray(trustees) && trustees.length >= 1 && trustees.length <= 64 &&
      trustees.every((x) => typeof x === 'string' && x.length > 0) && new Set(trustees).size === trustees.length;
    if (!ok) bad('a list of 1 to 64 distinct peer ids', 'TRUSTEES');
    if (t > trustees.length) bad(`at most the number of trustees (${trustees.length}), got ${t}`);
  } else if (n !== undefined && t > n) {
    bad(`at most the number of owners (${n}), got ${t}`);
  }
}

const JOINT = ['oldJoint', a.nonEmptyString];

/**
 * Run the formation operation `op` (a FormationMachine selector) with `args` to its
 * end over `client`: the one driver of every function here. Resolves the
 * operation's result; a refusal of the controller rejects with an `ApiError`, a
 * failed check with a PanoramixError `refused` (`bad_answer`, `step_failed`).
 */
async function drive(name, client, op, args) {
  const host = clientHost.get(client);
  const m = new FormationMachine(host.secret, client.controllerId);
  try {
    m.select(op, args);
    m.begin(Math.floor(Date.now() / 1000));
    for (;;) {
      const p = m.poll();
      if (p.kind === 'http') {
        const r = await host.raw(p.method, p.path, p.body ?? null);
        m.handle(r.status, r.text);
      } else if (p.kind === 'save') {
        m.saved();
      } else if (p.kind === 'done') {
        return p.result;
      } else if (p.code === 'api') {
        const e = new ApiError(p.status, p.apiCode, p.message);
        e.message = p.message; // it names the request, the status and the code already
        throw e;
      } else {
        throw new PanoramixError(p.code, `${name}: ${p.message}`);
      }
    }
  } finally {
    m.free();
  }
}

/**
 * Register the client's key as a contributor peer named `name` for `backend`,
 * publishing `cryptoParams` (its public backend key: `{mix_key}` for SPHINXMIX,
 * `{trustee_key}` from `zeusPublishTrusteeKey` for ZEUS), unless it is registered.
 * Resolves the peer.
 */
export async function registerContributor(client, name, backend, cryptoParams) {
  check(
    'registerContributor',
    [CLIENT, ['name', a.nonEmptyString], ['backend', a.nonEmptyString], ['cryptoParams', a.object]],
    [client, name, backend, cryptoParams],
  );
  return drive('registerContributor', client, 'register', [name, backend, cryptoParams]);
}

/**
 * The coordinator: propose the mix-net `spec` and make `invitations` invitations
 * (one per joiner). Resolves `{negotiation, invitations}`; each invitation
 * (`<negotiation>|<secret>`) goes to one joiner, privately.
 */
export async function createMixnet(client, spec, invitations) {
  check('createMixnet', [CLIENT, ['spec', SPEC_SHAPE], ['invitations', a.count]], [client, spec, invitations]);
  return drive('createMixnet', client, 'create', [spec, invitations]);
}

/** A joiner: the proposal behind an invitation, to review. Resolves `{spec, proposer}`. */
export async function reviewInvitation(client, invitation) {
  check('reviewInvitation', [CLIENT, INVITATION], [client, invitation]);
  return drive('reviewInvitation', client, 'proposal', [invitation]);
}

/** A joiner: answer the proposal with the invitation, having reviewed `reviewedSpec`. */
export async function joinMixnet(client, invitation, reviewedSpec) {
  check(
    'joinMixnet',
    [CLIENT, INVITATION, ['reviewedSpec', SPEC_SHAPE]],
    [client, invitation, reviewedSpec],
  );
  await drive('joinMixnet', client, 'join', [invitation, reviewedSpec]);
}

/**
 * The coordinator, once every invitation is used: check the owners' published keys
 * and propose the joint peer to them. Resolves the `joint:` negotiation id, or null
 * while invitations are pending. A joiner without a valid, unused invitation makes
 * it reject (`refused`).
 */
export async function proposeJoint(client, negotiation, spec, invitations) {
  check(
    'proposeJoint',
    [CLIENT, ['negotiation', a.nonEmptyString], ['spec', SPEC_SHAPE], ['invitations', a.strings]],
    [client, negotiation, spec, invitations],
  );
  checkThreshold('proposeJoint', 'spec', spec);
  return drive('proposeJoint', client, 'proposeJoint', [negotiation, spec, invitations]);
}

/**
 * The first owner, without invitations: propose the joint peer of `spec` owned by
 * `owners` (in route order) to them, its description completed from their checked
 * published keys as `completeSpec` does. Resolves the `joint:` negotiation id; the
 * others `confirmJoint`, then the first owner `finishMixnet`.
 */
export async function proposeJointAmong(client, spec, owners) {
  check('proposeJointAmong', [CLIENT, ['spec', SPEC_SHAPE], ['owners', a.hexStrings]], [client, spec, owners]);
  checkThreshold('proposeJointAmong', 'spec', spec, owners.length);
  return drive('proposeJointAmong', client, 'proposeJointAmong', [spec, owners]);
}

/**
 * The description `spec` with what derives from the owners' published keys (ZEUS:
 * the election key), every key checked. Resolves the description.
 */
export async function completeSpec(client, spec, owners) {
  check('completeSpec', [CLIENT, ['spec', SPEC_SHAPE], ['owners', a.hexStrings]], [client, spec, owners]);
  checkThreshold('completeSpec', 'spec', spec, owners.length);
  return drive('completeSpec', client, 'completeSpec', [spec, owners]);
}

/**
 * A joiner: check the joint-peer proposal against the description it reviewed (its
 * own membership, the description, the joint key, the ZEUS election key) and
 * co-sign. Resolves the joint peer id once signed, or null while there is no
 * proposal (or this key signed it already).
 */
export async function confirmJoint(client, reviewedSpec) {
  check('confirmJoint', [CLIENT, ['reviewedSpec', SPEC_SHAPE]], [client, reviewedSpec]);
  checkThreshold('confirmJoint', 'reviewedSpec', reviewedSpec);
  return drive('confirmJoint', client, 'confirmJoint', [reviewedSpec]);
}

/**
 * The coordinator: create the joint peer of the mix-net `name` once every owner
 * signed. Resolves its id once it exists, or null.
 */
export async function finishMixnet(client, name) {
  check('finishMixnet', [CLIENT, ['name', a.nonEmptyString]], [client, name]);
  return drive('finishMixnet', client, 'finish', [name]);
}

/**
 * Reconfiguration, by the first owner of `oldJoint`: propose a successor named
 * `newName` owned by `newOwners` (in route order). Resolves the negotiation id.
 */
export async function proposeSuccessor(client, oldJoint, newOwners, newName) {
  check(
    'proposeSuccessor',
    [CLIENT, JOINT, ['newOwners', a.hexStrings], ['newName', a.nonEmptyString]],
    [client, oldJoint, newOwners, newName],
  );
  return drive('proposeSuccessor', client, 'proposeSuccessor', [oldJoint, newOwners, newName]);
}

/**
 * Every other participant: find and check the successor proposal (same backend
 * and parameters, names its predecessor, keys recompute). Resolves `{negotiation,
 * text, owners, successor}` (sign it with `coSign` if the new owners are
 * acceptable), or null when there is none or this key signed it already.
 */
export async function reviewSuccessor(client, oldJoint) {
  check('reviewSuccessor', [CLIENT, JOINT], [client, oldJoint]);
  return drive('reviewSuccessor', client, 'reviewSuccessor', [oldJoint]);
}

/** Sign `text` as it is in the negotiation `negotiation` (a reviewed successor). */
export async function coSign(client, negotiation, text) {
  check('coSign', [CLIENT, ['negotiation', a.nonEmptyString], ['text', a.string]], [client, negotiation, text]);
  await drive('coSign', client, 'coSign', [negotiation, text]);
}

/**
 * `reviewSuccessor`, then `coSign` if `acceptOwners(owners)` says yes (else it
 * rejects with `refused`). Resolves the successor's id once signed, or null.
 */
export async function confirmSuccessor(client, oldJoint, acceptOwners) {
  check('confirmSuccessor', [CLIENT, JOINT, ['acceptOwners', a.func]], [client, oldJoint, acceptOwners]);
  const p = await reviewSuccessor(client, oldJoint);
  if (!p) return null;
  if (!(await acceptOwners(p.owners))) {
    throw new PanoramixError('refused', 'confirmSuccessor: the new owner list was not accepted');
  }
  await coSign(client, p.negotiation, p.text);
  return p.successor;
}

/**
 * The successor of a mix-net once its owners agreed on it by the mix-net's rule (an
 * owner of the successor creates it from the agreement if nobody has yet; anyone else
 * only learns its id). Resolves its id, or null.
 */
export async function mixnetSuccessor(client, oldJoint) {
  check('mixnetSuccessor', [CLIENT, JOINT], [client, oldJoint]);
  return drive('mixnetSuccessor', client, 'successor', [oldJoint]);
}

/** The successor the owners agreed on, created or not: `{successor, owners}`, or null. */
export async function agreedSuccessor(client, oldJoint) {
  check('agreedSuccessor', [CLIENT, JOINT], [client, oldJoint]);
  return drive('agreedSuccessor', client, 'agreedSuccessor', [oldJoint]);
}

/** Follow a mix-net's successors to the current one. Resolves its id. */
export async function currentMixnet(client, joint) {
  check('currentMixnet', [CLIENT, ['joint', a.nonEmptyString]], [client, joint]);
  return drive('currentMixnet', client, 'current', [joint]);
}
