// How browser contributors form a mix-net among themselves (a simplified form of
// the wizards' flow in crates/panoramix-mixnet/src/setup.rs, without invitations):
// each registers an individual peer named `<name>/contributor/<id prefix>` that
// publishes its backend key; once `count` of them are registered, the owners are
// the first `count` by peer id; the first owner proposes the joint peer (the
// mix-net description in its crypto_params) in a negotiation `joint:<name>`
// restricted to the owners; every other owner recomputes the description, the
// joint key and (Zeus) the election key from the owners' verified key shares, and
// co-signs only if they agree; the first owner applies the agreement. An election's
// definition (`crypto_params.election`: question, options, the voters' public
// credentials) must be the one each trustee was given.
import {
  PanoramixClient,
  TRUSTEE_KEY_SESSION,
  canonicalEncode,
  jointKeyData,
  jointPeerId,
  parseContribution,
  zeusCombineTrusteeKeys,
} from '../vendor/panoramix/index.js';
import { MAX_CRYPTO_PARAMS } from './election-def.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The default parameters of a backend. */
export function defaultParams(backend) {
  return backend === 'ZEUS' ? { MIX_PROOF: 'TW', SK_ROUNDS: 128 } : { BODY_LEN: 1024, MAX_HOPS: 5 };
}

async function allPeers(client) {
  const out = [];
  let after = null;
  for (;;) {
    const q = after === null ? '' : `&after=${encodeURIComponent(after)}`;
    const r = await client.get(`/panoramix/peers/?limit=1000${q}`);
    out.push(...(r.data ?? []));
    if (r.next === null || r.next === undefined) return out;
    after = r.next;
  }
}

/**
 * Register (if needed), then form the mix-net `opts.name` with `opts.count`
 * contributors. `opts`: {name, backend, count, sizeMin, sizeMax, terms,
 * election? ({question, options, voters}),
 * cryptoParams (this contributor's published key), onProgress(text)}. Resolves the
 * joint peer.
 */
export async function formMixnet(client, opts) {
  const say = opts.onProgress ?? (() => {});
  const prefix = `${opts.name}/contributor/`;
  let peers = await allPeers(client);
  if (!peers.some((p) => p.peer_id === client.id)) {
    say('registering this contributor and its public key');
    await client.register(prefix + client.id.slice(0, 8), 'contributor', opts.backend, opts.cryptoParams);
  }
  // the mix-net may exist already (a reload)
  let joint = peers.find((p) => p.name === opts.name && (p.owners ?? []).length);
  for (let i = 0; !joint; i++) {
    peers = await allPeers(client);
    joint = peers.find((p) => p.name === opts.name && (p.owners ?? []).length);
    if (joint) break;
    const candidates = peers
      .filter((p) => p.name.startsWith(prefix) && p.crypto_backend === opts.backend)
      .map((p) => p.peer_id)
      .sort();
    if (candidates.length < opts.count) {
      say(`waiting for contributors: ${candidates.length}/${opts.count} joined`);
      await sleep(300);
      continue;
    }
    const owners = candidates.slice(0, opts.count);
    if (!owners.includes(client.id)) throw new Error(`the mix-net ${opts.name} already has its ${opts.count} contributors`);
    say(`${opts.count}/${opts.count} joined; agreeing on the mix-net description`);
    const spec = {
      name: opts.name,
      backend: opts.backend,
      params: defaultParams(opts.backend),
      size_min: opts.sizeMin,
      size_max: opts.sizeMax,
      terms: opts.terms ?? '',
    };
    if (opts.backend === 'ZEUS') {
      const keys = owners.map((o) => peers.find((p) => p.peer_id === o).crypto_params.trustee_key);
      // verifies every share's proof of knowledge, then adds them
      spec.election_public_key = zeusCombineTrusteeKeys(TRUSTEE_KEY_SESSION, keys);
    }
    await agreeJoint(client, owners, spec, opts, say);
    await sleep(200);
  }
  return joint;
}

async function agreeJoint(client, owners, spec, opts, say) {
  const title = `joint:${opts.name}`;
  const coordinator = owners[0] === client.id;
  const want = owners.join();
  const r = await client.get(`/panoramix/negotiations/?title=${encodeURIComponent(title)}`);
  const neg = (r.data ?? []).find((n) => [...(n.participants ?? [])].sort().join() === want);
  if (!neg) {
    if (coordinator) await client.createNegotiation(title, owners);
    return;
  }
  const expectedId = jointPeerId(jointKeyData(opts.name, owners));
  if (neg.status === 'DONE') {
    if (coordinator) {
      const t = parseContribution(neg.text).body;
      const a = { method: 'POST', path: '/panoramix/peers/', data: t.data, info: t.info };
      try {
        await client.apply(a, neg.consensus);
        say(`created the mix-net ${opts.name}`);
      } catch (e) {
        if (e.status !== 409) throw e;
      }
    }
    return;
  }
  const contribs = await client.contributions(neg.id);
  if (contribs.some((c) => c.signer_key_id === client.id)) return;
  if (coordinator) {
    const election = opts.election ? { ...spec, election: opts.election } : spec;
    const size = new TextEncoder().encode(JSON.stringify(election)).length;
    if (size > MAX_CRYPTO_PARAMS) {
      throw new Error(`the mix-net description is ${size} bytes (${opts.election?.voters?.length ?? 0} voter credentials); the controller takes at most ${MAX_CRYPTO_PARAMS} bytes`);
    }
    const a = client.jointPeerAction(opts.name, owners, opts.backend, election);
    await client.contribute(neg.id, PanoramixClient.textFor([a], true));
    say('proposed the mix-net description to the other contributors');
    return;
  }
  const proposal = contribs.find((c) => c.signer_key_id === owners[0]);
  if (!proposal) return;
  const d = parseContribution(proposal.text).body?.data ?? {};
  const { election, ...proposed } = d.crypto_params ?? {};
  const problems = [];
  if (d.peer_id !== expectedId) problems.push('the joint key does not recompute from the owners');
  if (canonicalEncode(d.owners ?? []) !== canonicalEncode(owners)) problems.push('the owners differ');
  if (canonicalEncode(proposed) !== canonicalEncode(spec)) problems.push('the description differs from the agreed parameters');
  // the election definition (question, options, voter list) is part of what every
  // trustee signs: each co-signs only the definition it was given itself
  if (opts.backend === 'ZEUS') {
    if (typeof election?.question !== 'string' || !Array.isArray(election?.options) || !Array.isArray(election?.voters)) {
      problems.push('the election has no question, options or voter list');
    } else if (canonicalEncode(election) !== canonicalEncode(opts.election)) {
      const what = ['question', 'options', 'voters'].filter((k) => canonicalEncode(election[k]) !== canonicalEncode(opts.election?.[k]));
      problems.push(`the election differs from the one given to this trustee (${what.join(', ') || 'extra fields'})`);
    }
  }
  if (problems.length) throw new Error(`refusing the proposed mix-net: ${problems.join('; ')}`);
  await client.contribute(neg.id, proposal.text);
  say('checked and co-signed the mix-net description');
}
