// Forming a mix-net from JavaScript with the package alone (no native agent, no
// pmx-native): JavaScript contributors register, the coordinator proposes the
// mix-net with invitations, the joiners review and join, the owners agree on the
// joint peer (the formation state machine, in WebAssembly), then the package's
// Contributors run a cycle while a MixnetSender sends to it and reads the output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as pmx from '@panoramix/mixnet';
import { PANORAMIX_BIN, run, startController, waitFor } from './helpers.mjs';

let ctl;
before(async () => {
  ctl = await startController();
});
after(() => ctl?.stop());

/** A contributor's keys and client (not registered yet). */
async function contributor(backend) {
  const k = pmx.generateKeypair();
  const client = await pmx.PanoramixClient.connect(k.secret, ctl.url);
  if (backend === 'SPHINXMIX') {
    const m = pmx.sphinxKeygen();
    return { client, secrets: { mix: m.secret }, cryptoParams: { mix_key: m.publicKey } };
  }
  const t = pmx.zeusTrusteeKeygen();
  const published = pmx.zeusPublishTrusteeKey(t.secret, pmx.TRUSTEE_KEY_SESSION);
  return { client, secrets: { trustee: t.secret }, cryptoParams: { trustee_key: published } };
}

/** Form the mix-net `spec` among `owners` (the first one coordinates); its joint peer id. */
async function form(spec, owners) {
  for (const [i, o] of owners.entries()) {
    const peer = await pmx.registerContributor(o.client, `${spec.name}-c${i}`, spec.backend, o.cryptoParams);
    assert.equal(peer.peer_id, o.client.id);
  }
  // registering again is a no-op that returns the peer
  assert.equal((await pmx.registerContributor(owners[0].client, 'again', spec.backend, {})).peer_id, owners[0].client.id);
  const [coordinator, ...joiners] = owners;
  const { negotiation, invitations } = await pmx.createMixnet(coordinator.client, spec, joiners.length);
  assert.equal(invitations.length, joiners.length);
  assert.ok(invitations.every((inv) => inv.startsWith(`${negotiation}|`)));
  // nothing to propose while invitations are pending
  assert.equal(await pmx.proposeJoint(coordinator.client, negotiation, spec, invitations), null);
  const reviewed = [];
  for (const [i, j] of joiners.entries()) {
    const proposal = await pmx.reviewInvitation(j.client, invitations[i]);
    assert.equal(proposal.proposer, coordinator.client.id);
    assert.equal(proposal.spec.name, spec.name);
    assert.deepEqual(proposal.spec.election ?? null, spec.election ?? null);
    reviewed.push(proposal.spec);
    // a joiner has nothing to confirm before the joint peer is proposed
    assert.equal(await pmx.confirmJoint(j.client, proposal.spec), null);
    await pmx.joinMixnet(j.client, invitations[i], proposal.spec);
  }
  const jointNegotiation = await pmx.proposeJoint(coordinator.client, negotiation, spec, invitations);
  assert.equal(typeof jointNegotiation, 'string');
  assert.equal(await pmx.finishMixnet(coordinator.client, spec.name), null, 'no owner signed yet');
  const ids = [];
  for (const [i, j] of joiners.entries()) ids.push(await pmx.confirmJoint(j.client, reviewed[i]));
  const joint = await waitFor('the joint peer', () => pmx.finishMixnet(coordinator.client, spec.name));
  assert.ok(ids.every((id) => id === joint), JSON.stringify({ ids, joint }));
  const peer = await coordinator.client.peer(joint);
  assert.deepEqual(
    peer.owners.map((o) => (typeof o === 'string' ? o : o.owner_key_id)),
    owners.map((o) => o.client.id),
  );
  assert.equal(await pmx.currentMixnet(joiners[0].client, joint), joint);
  assert.equal(await pmx.agreedSuccessor(joiners[0].client, joint), null);
  return joint;
}

/** Run one cycle with the package's Contributors while `send(sender)` posts to it. */
async function runCycle(owners, joint, send, options = {}) {
  const events = [];
  const contributors = owners.map(
    (o) => new pmx.Contributor(o.secrets, o.client, { joint, maxCycles: 1, onEvent: (e) => events.push(e) }),
  );
  const stop = new AbortController();
  const running = Promise.all(
    contributors.map((c) =>
      c.run({ signal: stop.signal, idleMs: 50, onError: (e) => events.push(`error: ${e.message}`) }),
    ),
  );
  try {
    const senderClient = await pmx.PanoramixClient.connect(pmx.generateKeypair().secret, ctl.url);
    const sender = await pmx.MixnetSender.open(senderClient, joint, options);
    await waitFor('the entry endpoint', () => sender.isOpen(1));
    await send(sender);
    const out = await waitFor('the cycle output', () => sender.results(1), 180000);
    const states = await running;
    assert.ok(states.every((st) => st.cycle === 1), JSON.stringify(states));
    assert.ok(!events.some((e) => e.startsWith('REFUSED')), JSON.stringify(events));
    const processed = events.filter((e) => e.startsWith('processed '));
    return { out, sender, processed };
  } finally {
    stop.abort();
    for (const c of contributors) c.free();
  }
}

test('SPHINXMIX: three JavaScript contributors form a mix-net and mix a cycle', async () => {
  const owners = [];
  for (let i = 0; i < 3; i++) owners.push(await contributor('SPHINXMIX'));
  const messages = Array.from({ length: 5 }, (_, i) => `message ${i} ${pmx.randomHex(8)}`);
  const spec = {
    name: 'jsformed',
    backend: 'SPHINXMIX',
    params: { BODY_LEN: 1024, MAX_HOPS: 5 },
    size_min: messages.length,
    size_max: messages.length,
    terms: 'formed from JavaScript',
  };
  const joint = await form(spec, owners);
  const { out, processed } = await runCycle(owners, joint, async (sender) => {
    for (const m of messages) await sender.send(1, 'bob', m);
  });
  assert.deepEqual(out.map((m) => m.text).sort(), [...messages].sort());
  assert.ok(out.every((m) => m.recipient === 'bob'));
  assert.equal(processed.length, owners.length, JSON.stringify(processed));
});

test('a forged invitation is refused to its joiner and ignored by the coordinator', async () => {
  const owners = [await contributor('SPHINXMIX'), await contributor('SPHINXMIX')];
  const bogus = await contributor('SPHINXMIX');
  const spec = { name: 'forged', backend: 'SPHINXMIX', params: { BODY_LEN: 1024, MAX_HOPS: 5 }, size_min: 1, size_max: 1 };
  for (const o of [...owners, bogus]) await pmx.registerContributor(o.client, 'c', 'SPHINXMIX', o.cryptoParams);
  const { negotiation, invitations } = await pmx.createMixnet(owners[0].client, spec, 1);
  const forged = `${negotiation}|${'00'.repeat(16)}`;
  // the joiner checks its invitation against the proposal before anything else
  await assert.rejects(pmx.reviewInvitation(owners[1].client, forged), { code: 'refused' });
  const { spec: reviewed } = await pmx.reviewInvitation(owners[1].client, invitations[0]);
  // an answer with a forged invitation neither counts nor stops the set-up
  await pmx.joinMixnet(bogus.client, forged, reviewed);
  assert.equal(await pmx.proposeJoint(owners[0].client, negotiation, spec, invitations), null);
  await pmx.joinMixnet(owners[1].client, invitations[0], reviewed);
  assert.equal(typeof (await pmx.proposeJoint(owners[0].client, negotiation, spec, invitations)), 'string');
  await assert.rejects(pmx.reviewInvitation(owners[1].client, 'nosuch|abc'), { code: 'refused' });
  // a controller refusal is an ApiError with its status and code
  await assert.rejects(pmx.coSign(owners[1].client, 'nosuch', 'text'), (e) => {
    assert.ok(e instanceof pmx.ApiError, `${e.code}: ${e.message}`);
    assert.ok(e.status >= 400 && e.status < 500, String(e.status));
    return true;
  });
});

test('ZEUS: two JavaScript trustees form an election and count it', async () => {
  const owners = [await contributor('ZEUS'), await contributor('ZEUS')];
  const votes = ['yes', 'no', 'yes'];
  const voters = votes.map(() => pmx.zeusVoterKeygen());
  const spec = {
    name: 'jselection',
    backend: 'ZEUS',
    params: { MIX_PROOF: 'TW', SK_ROUNDS: 128 },
    size_min: votes.length,
    size_max: votes.length,
    terms: 'formed from JavaScript',
    election: { question: 'Agreed?', options: ['yes', 'no'], voters: voters.map((v) => v.credential) },
  };
  // the election key is the sum of the trustees' checked key shares
  for (const [i, o] of owners.entries()) await pmx.registerContributor(o.client, `t${i}`, 'ZEUS', o.cryptoParams);
  const completed = await pmx.completeSpec(owners[0].client, spec, owners.map((o) => o.client.id));
  const shares = owners.map((o) => o.cryptoParams.trustee_key);
  assert.equal(completed.election_public_key, pmx.zeusCombineTrusteeKeys(pmx.TRUSTEE_KEY_SESSION, shares));
  const joint = await form(spec, owners);
  assert.equal((await owners[1].client.peer(joint)).crypto_params.election_public_key, completed.election_public_key);
  const { out, sender, processed } = await runCycle(owners, joint, async (s) => {
    for (const [i, v] of votes.entries()) await s.send(1, null, v, { voterSecret: voters[i].secret });
  });
  assert.deepEqual(out.map((m) => new TextDecoder().decode(m.bytes)).sort(), [...votes].sort());
  // each trustee mixed and decrypted
  assert.equal(processed.length, 2 * owners.length, JSON.stringify(processed));
  pmx.zeusVerifyElection(await sender.electionTranscript(1));
});

test('ZEUS threshold: three JavaScript trustees run the key generation, one leaves after its shuffle, any two count', async () => {
  const owners = [await contributor('ZEUS'), await contributor('ZEUS'), await contributor('ZEUS')];
  const ids = owners.map((o) => o.client.id);
  const votes = ['yes', 'no', 'no'];
  const voters = votes.map(() => pmx.zeusVoterKeygen());
  const spec = {
    name: 'jsthreshold',
    backend: 'ZEUS',
    params: { MIX_PROOF: 'TW', SK_ROUNDS: 128, THRESHOLD: 2 },
    size_min: votes.length,
    size_max: votes.length,
    terms: 'formed from JavaScript',
    election: { question: 'Agreed?', options: ['yes', 'no'], voters: voters.map((v) => v.credential) },
  };
  // a threshold above the number of trustees is refused before anything is sent
  await assert.rejects(
    pmx.proposeJointAmong(owners[0].client, { ...spec, params: { ...spec.params, THRESHOLD: 4 } }, ids),
    { code: 'invalid_argument' },
  );
  // trustees apart from the owners: the threshold counts them; a peer twice, or
  // TRUSTEES without a THRESHOLD, is refused too
  const withTrustees = (params) => pmx.proposeJointAmong(owners[0].client, { ...spec, params: { ...spec.params, ...params } }, ids);
  await assert.rejects(withTrustees({ THRESHOLD: 3, TRUSTEES: [ids[0], ids[1]] }), /at most the number of trustees \(2\)/);
  await assert.rejects(withTrustees({ TRUSTEES: [ids[0], ids[0]] }), /TRUSTEES must be a list of 1 to 64 distinct peer ids/);
  await assert.rejects(withTrustees({ THRESHOLD: undefined, TRUSTEES: [ids[0]] }), /TRUSTEES must be absent without a THRESHOLD/);
  const joint = await form(spec, owners);
  const peer = await owners[0].client.peer(joint);
  const trustees = [];
  for (const id of ids) trustees.push((await owners[0].client.peer(id)).crypto_params.trustee_key);
  const dkg = pmx.dkgGraph(peer.crypto_params, joint, ids, trustees);
  // each trustee's dealing and verdict on its own peer, then the owners' key
  assert.deepEqual(dkg.map((g) => g.endpoint_type), [
    ...ids.flatMap(() => ['ZEUS_DKG_DEALINGS', 'ZEUS_DKG_VERDICTS']),
    'ZEUS_DKG_KEY',
  ]);
  assert.deepEqual(dkg.map((g) => g.endpoint_id), [
    ...ids.flatMap((_, j) => [`jsthreshold-dkg-deal${j}`, `jsthreshold-dkg-verdict${j}`]),
    'jsthreshold-dkg-key',
  ]);
  assert.deepEqual(dkg.map((g) => g.peer_id), [...ids.flatMap((id) => [id, id]), joint]);
  assert.equal(dkg[0].endpoint_params.threshold, 2);
  // trustee 2 will be absent at tally time: it stops once it has shuffled
  const absentMix = pmx.endpointIds(spec, 1, ids).mixes[1];
  const absentDecr = pmx.endpointIds(spec, 1, ids).decryptions[1];
  const stopAll = new AbortController();
  const stopAbsent = new AbortController();
  const events = [];
  const contributors = owners.map(
    (o, i) =>
      new pmx.Contributor(o.secrets, o.client, {
        joint,
        maxCycles: 1,
        onEvent: (e) => {
          events.push(`${i}: ${e}`);
          if (i === 1 && e.startsWith(`processed ${absentMix}:`)) stopAbsent.abort();
        },
      }),
  );
  const running = contributors.map((c, i) =>
    c.run({
      signal: i === 1 ? AbortSignal.any([stopAll.signal, stopAbsent.signal]) : stopAll.signal,
      idleMs: 50,
      onError: (e) => events.push(`${i}: error: ${e.message}`),
    }),
  );
  try {
    const sender = await pmx.MixnetSender.open(
      await pmx.PanoramixClient.connect(pmx.generateKeypair().secret, ctl.url),
      joint,
    );
    // the booth opens only after the key generation, with its key
    await waitFor('the ballot box', () => sender.isOpen(1), 120000);
    const [keyOut] = await owners[0].client.messages('jsthreshold-dkg-key', 'OUTBOX');
    const key = JSON.parse(keyOut.text);
    assert.deepEqual(key.qualified, [1, 2, 3]);
    assert.notEqual(key.election_public_key, peer.crypto_params.election_public_key, 'not the sum of the key shares');
    const graph = pmx.mixnetGraph(peer.crypto_params, joint, ids, trustees, 1, JSON.stringify(key));
    const booth = await owners[0].client.endpoint(graph[0].endpoint_id);
    assert.deepEqual(booth.endpoint_params, graph[0].endpoint_params, 'the agreed booth carries the key generation');
    assert.equal(booth.endpoint_params.election_public_key, key.election_public_key);
    assert.equal(graph.at(-1).endpoint_type, 'ZEUS_SK_COMBINE');
    assert.equal(graph.at(-1).peer_id, ids[0], 'the combination is the first trustee\'s');
    // each trustee's partial decryption is its own, made at tally time
    const decrs = graph.filter((g) => g.endpoint_type === 'ZEUS_SK_PARTIAL_DECRYPT');
    assert.deepEqual(decrs.map((g) => [g.endpoint_id, g.peer_id]), ids.map((id, j) => [`jsthreshold-1-decr${j}`, id]));
    // an n-of-n description has no key generation; a key must be one
    const nOfN = { ...peer.crypto_params, params: { MIX_PROOF: 'TW', SK_ROUNDS: 128 } };
    assert.throws(() => pmx.mixnetGraph(nOfN, joint, ids, trustees, 1, key), { code: 'invalid_argument' });
    assert.throws(() => pmx.dkgGraph(nOfN, joint, ids, trustees), { code: 'invalid_argument' });
    assert.throws(() => pmx.mixnetGraph(peer.crypto_params, joint, ids, trustees, 1, { qualified: [] }), { code: 'invalid_argument' });
    for (const [i, v] of votes.entries()) await sender.send(1, null, v, { voterSecret: voters[i].secret });
    const out = await waitFor('the count', () => sender.results(1), 180000);
    assert.deepEqual(out.map((m) => new TextDecoder().decode(m.bytes)).sort(), [...votes].sort());
    assert.ok(stopAbsent.signal.aborted, 'trustee 2 left after its shuffle');
    assert.ok(!events.some((e) => e.startsWith(`1: processed ${absentDecr}`)), events.join('\n'));
    // it never made its partial decryption
    await assert.rejects(owners[0].client.endpoint(absentDecr), (e) => e.status === 404);
    const transcript = await sender.electionTranscript(1);
    pmx.zeusVerifyElection(transcript);
    assert.deepEqual(JSON.parse(transcript).partial_decryptions.map((d) => d.trustee), [0, 2]);
    assert.ok(!events.some((e) => /REFUSED/.test(e)), events.join('\n'));
  } finally {
    stopAll.abort();
    await Promise.allSettled(running);
    for (const c of contributors) c.free();
  }
});

test('reconfiguring: any owner proposes a successor without one of them', async () => {
  const owners = [];
  for (let i = 0; i < 3; i++) owners.push(await contributor('SPHINXMIX'));
  const spec = { name: 'jsold', backend: 'SPHINXMIX', params: { BODY_LEN: 1024, MAX_HOPS: 5 }, size_min: 2, size_max: 2 };
  const joint = await form(spec, owners);
  const newOwners = owners.slice(0, 2).map((o) => o.client.id);
  // any owner proposes (here the second one); the removed owner is not asked to sign
  const negotiation = await pmx.proposeSuccessor(owners[1].client, joint, newOwners, 'jsnew');
  assert.equal(typeof negotiation, 'string');
  assert.equal(await pmx.reviewSuccessor(owners[2].client, joint), null, 'the removed owner signs nothing');
  // a participant who does not accept the new owners signs nothing
  await assert.rejects(pmx.confirmSuccessor(owners[0].client, joint, () => false), { code: 'refused' });
  const review = await pmx.reviewSuccessor(owners[0].client, joint);
  assert.equal(review.negotiation, negotiation);
  assert.deepEqual(review.owners, newOwners);
  assert.equal(await pmx.agreedSuccessor(owners[0].client, joint), null, 'not agreed yet');
  const successor = await pmx.confirmSuccessor(owners[0].client, joint, (o) => o.length === 2);
  assert.equal(successor, review.successor);
  assert.equal(await pmx.reviewSuccessor(owners[0].client, joint), null, 'signed already');
  assert.deepEqual(await pmx.agreedSuccessor(owners[2].client, joint), { successor, owners: newOwners });
  // the dropped owner learns the agreed successor but does not create it; an owner of it does
  assert.equal(await pmx.mixnetSuccessor(owners[2].client, joint), successor);
  await assert.rejects(owners[0].client.peer(successor), { status: 404 });
  assert.equal(await pmx.mixnetSuccessor(owners[1].client, joint), successor);
  const peer = await owners[0].client.peer(successor);
  assert.equal(peer.crypto_params.previous, joint);
  assert.equal(await pmx.currentMixnet(owners[2].client, joint), successor);
});

test('the native audit verifier accepts the whole log', { skip: !PANORAMIX_BIN }, async () => {
  const r = await run(PANORAMIX_BIN, ['audit', 'verify', ctl.url]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
