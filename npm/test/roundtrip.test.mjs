// Round trips between the package (WebAssembly) and the native crates, offline:
// Rust-made artifacts verified and processed in JavaScript, and JavaScript-made
// artifacts verified and processed by Rust (pmx-native check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pmx from '@panoramix/mixnet';
import { native } from './helpers.mjs';

const fixtures = await native('fixtures');

test('init is optional in Node and idempotent', async () => {
  assert.equal(typeof pmx.version(), 'string');
  await pmx.init();
  await pmx.init();
  assert.ok(pmx.isInitialized());
});

test('core: Rust-made envelopes, texts and hashes check out in JavaScript', () => {
  const c = fixtures.core;
  const v = pmx.verifyEnvelope(c.envelope);
  assert.equal(v.signerId, c.keyId);
  assert.equal(pmx.keyId(c.keyData), c.keyId);
  assert.equal(pmx.canonicalEncode({ b: [1, -2, 'x'], a: null }), c.canonical);
  assert.deepEqual(pmx.canonicalDecode(c.canonical), { a: null, b: [1, -2, 'x'] });
  // contribution signatures are bound to their negotiation (label contribution-in)
  assert.ok(pmx.verifyContribution(c.keyData, 'neg', 'text', c.contributionSignature));
  assert.ok(!pmx.verifyContribution(c.keyData, 'other-neg', 'text', c.contributionSignature));
  assert.ok(
    pmx.verify(
      c.keyData,
      'contribution-in',
      pmx.contributionMessage('neg', 'text'),
      c.contributionSignature,
    ),
  );
  assert.ok(!pmx.verify(c.keyData, 'contribution', 'text', c.contributionSignature));
  assert.ok(!pmx.verify(c.keyData, 'envelope', 'text', c.contributionSignature));
  // the known-answer vector of docs/protocol.md §3.1 (the RFC 8032 test 1 key)
  assert.equal(
    pmx.signContribution(
      '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      'neg-1',
      pmx.contributionText('x', { accept: 1 }),
    ),
    '4b78f5cbc22fcc5ddccaeb489b7a2ffe9b49ec719d4ac730c7a50e0a640ec14f903d6c12febfb971c74135bd6409a84789d8053ac1019093e0eb8560d4504001',
  );
  assert.equal(pmx.jointKeyData('net', ['a', 'b']), c.jointKeyData);
  assert.equal(pmx.messageHash(3, 's', 'r', 't'), c.messageHash);
  assert.equal(
    pmx.consensusId('neg', 'txt', { k1: 's1' }, '2018-01-31T12:00:00.000001'),
    c.consensusId,
  );
  const tampered = structuredClone(c.envelope);
  tampered.data.n = 8;
  assert.throws(() => pmx.verifyEnvelope(tampered), { code: 'bad_signature' });
  assert.throws(() => pmx.verifyEnvelope({ data: {} }), { code: 'malformed_envelope' });
  assert.throws(() => pmx.canonicalEncode({ x: 1.5 }), { code: 'canonical' });
});

test('sphinx: Rust-made packets are processed in JavaScript, a Rust SURB answered', () => {
  const s = fixtures.sphinx;
  let batch = s.packets;
  for (const m of s.mixes) {
    const mix = new pmx.SphinxMix(m.secret, s.params);
    const out = mix.processBatch(batch);
    assert.deepEqual(out.rejected, []);
    // a replay of the same batch is dropped packet by packet
    const again = mix.processBatch(batch);
    assert.ok(again.rejected.every((r) => r.code === 'sphinx_replay'));
    batch = out.outputs.map((o) => o.text);
  }
  assert.deepEqual([...batch].sort(), [...s.messages].sort());
  // answer through the Rust-made SURB; the exit reports it under surb:<id>
  const reply = pmx.sphinxSurbReply(s.params, s.surb, 'pong');
  let texts = [reply.text];
  let last;
  for (const m of s.mixes) {
    last = pmx.sphinxProcessBatch(m.secret, s.params, texts);
    texts = last.outputs.map((o) => o.text);
  }
  assert.equal(last.outputs[0].kind, 'Reply');
  assert.equal(last.outputs[0].recipient, `surb:${s.surbId}`);
});

test('sphinx: the bytes path (SphinxMix.processPackets) peels Rust-made packets as processBatch does', async () => {
  const s = fixtures.sphinx;
  const contributor = await import('@panoramix/mixnet/contributor');
  await contributor.init(); // both modules (already loaded here in Node: idempotent)
  assert.ok(pmx.isInitialized() && pmx.isContributorInitialized());
  const plen = pmx.sphinxParams(s.params).packetLen;
  const nodeIds = new Set(s.mixes.map((m) => pmx.sphinxKeyFromSecret(m.secret).nodeId));
  let packed = Buffer.concat(s.packets.map((t) => Buffer.from(t, 'base64')));
  let exits = [];
  for (const m of s.mixes) {
    const mix = new contributor.SphinxMix(m.secret, s.params);
    const count = packed.length / plen;
    const out = mix.processPackets(packed);
    assert.deepEqual(out.rejected, []);
    assert.equal(out.status.length, count);
    assert.equal(out.packets.length + out.exits.length * plen, count * plen);
    assert.equal(out.nextHops.length, (out.packets.length / plen) * 16);
    for (let i = 0; i < out.nextHops.length; i += 16) {
      assert.ok(nodeIds.has(Buffer.from(out.nextHops.subarray(i, i + 16)).toString('hex')));
    }
    // a replay of the same batch is dropped packet by packet
    const again = mix.processPackets(packed);
    assert.ok(again.status.every((x) => x === 3));
    assert.ok(again.rejected.every((r) => r.code === 'sphinx_replay'));
    mix.free();
    exits = out.exits;
    packed = out.packets;
  }
  assert.equal(packed.length, 0);
  assert.deepEqual(exits.map((o) => o.text).sort(), [...s.messages].sort());
  assert.ok(exits.every((o) => o.kind === 'Final'));
  const bad = new contributor.SphinxMix(s.mixes[0].secret, s.params);
  assert.throws(() => bad.processPackets(new Uint8Array(plen + 1)), { code: 'invalid_argument' });
  const garbled = bad.processPackets(new Uint8Array(plen));
  assert.deepEqual([...garbled.status], [3]);
  assert.equal(garbled.rejected[0].index, 0);
});

test('zeus: Rust-made ballots, proofs and shares verify in JavaScript', () => {
  const z = fixtures.zeus;
  const p = z.params;
  pmx.zeusVerify('ZEUS_BOOTH', p, z.ballots, z.booth.outputs, z.booth.proof);
  pmx.zeusVerify('ZEUS_TW_MIX', p, z.booth.outputs, z.tw.outputs, z.tw.proof);
  pmx.zeusVerify('ZEUS_SK_MIX', p, z.tw.outputs, z.sk.outputs, z.sk.proof);
  pmx.zeusVerifyMix(p, z.tw.outputs, z.sk.outputs, z.sk.proof);
  const n = z.sk.outputs.length;
  pmx.zeusVerify('ZEUS_SK_PARTIAL_DECRYPT', p, z.sk.outputs, z.shares.slice(0, n), '');
  pmx.zeusVerify('ZEUS_SK_PARTIAL_DECRYPT', p, z.sk.outputs, z.shares.slice(n), '');
  const plain = pmx.zeusCombine(p, z.shares);
  assert.deepEqual(plain, z.combined.outputs);
  const votes = plain.map((h) => Buffer.from(h, 'hex').toString());
  assert.deepEqual([...votes].sort(), [...z.votes].sort());
  const report = pmx.zeusVerifyElection(z.transcript);
  assert.equal(report.ballots, z.votes.length);
  // each Rust-made ballot verifies in JavaScript under the election's voter list
  z.ballots.forEach((b, i) => {
    assert.equal(pmx.zeusVerifyBallot(p, b).credential, p.voters[i]);
  });
  // a forged shuffle: outputs reordered under the same proof
  assert.throws(
    () => pmx.zeusVerify('ZEUS_TW_MIX', p, z.booth.outputs, [...z.tw.outputs].reverse(), z.tw.proof),
    (e) => e instanceof pmx.PanoramixError && e.code.startsWith('zeus_'),
  );
  // JavaScript's own partial decryption of the Rust mix output matches
  const mine = pmx.zeusPartialDecrypt(z.trusteeSecrets[0], p, z.sk.outputs);
  pmx.zeusVerify('ZEUS_SK_PARTIAL_DECRYPT', p, z.sk.outputs, mine, '');
});

test('zeus: junk and marked ballots (Rust-made) are spoiled in a JavaScript tally that completes and verifies', () => {
  const z = fixtures.spoiled;
  const p = z.params;
  // valid proofs: the booth admits every ballot
  const booth = pmx.zeusProcess(null, 'ZEUS_BOOTH', p, z.ballots);
  assert.equal(booth.outputs.length, z.ballots.length);
  const mix = pmx.zeusMix(p, booth.outputs);
  const shares = z.trusteeSecrets.flatMap((t) => pmx.zeusPartialDecrypt(t, p, mix.outputs));
  const outcomes = pmx.zeusCombine(p, shares).map(pmx.zeusParseOutcome);
  assert.equal(outcomes.filter((o) => o.spoiled).length, z.spoiled);
  assert.ok(outcomes.filter((o) => o.spoiled).every((o) => /^[0-9a-f]{64}$/.test(o.hex) && o.bytes === null));
  assert.deepEqual(outcomes.filter((o) => !o.spoiled).map((o) => o.answer).sort(), [...z.honest].sort());
  // the transcript assembled from these texts verifies, spoiled entries included
  const json = pmx.zeusAssembleElection(
    p,
    z.ballots,
    [{ mixer: 'js', outputs: mix.outputs, proof: mix.proof }],
    shares,
    pmx.zeusCombine(p, shares),
  );
  assert.equal(JSON.parse(json).plaintexts.filter((t) => t.startsWith('spoiled:')).length, z.spoiled);
  pmx.zeusVerifyElection(json);
  // a spoiled entry claimed as a plaintext is refused
  const bad = JSON.parse(json);
  const i = bad.plaintexts.findIndex((t) => t.startsWith('spoiled:'));
  bad.plaintexts[i] = '796573';
  assert.throws(
    () => pmx.zeusVerifyElection(JSON.stringify(bad)),
    (e) => e instanceof pmx.PanoramixError && e.code.startsWith('zeus_'),
  );
});

test('JavaScript-made artifacts verify and process natively', async () => {
  const k = pmx.generateKeypair();
  const value = { z: [1, 2, { y: 'é' }], a: -5, t: true };
  const text = pmx.contributionText({ hello: 'world' }, { accept: 1 });
  const core = {
    keyId: k.keyId,
    keyData: k.keyData,
    envelope: pmx.signEnvelope(k.secret, { x: 'y', n: 3 }, { resource: 'r', operation: 'o' }),
    value,
    canonical: pmx.canonicalEncode(value),
    text,
    negotiationId: 'js-neg',
    contributionSignature: pmx.signContribution(k.secret, 'js-neg', text),
  };
  const params = { BODY_LEN: 1024, MAX_HOPS: 5 };
  const mixes = [pmx.sphinxKeygen(), pmx.sphinxKeygen(), pmx.sphinxKeygen()];
  const route = new pmx.SphinxRoute(params, mixes.map((m) => m.publicKey));
  const messages = ['one', 'two', 'three', 'four'].map((m) => `js ${m}`);
  const sphinx = {
    params,
    mixSecrets: mixes.map((m) => m.secret),
    packets: messages.map((m) => route.wrap('bob', m).text),
    messages,
  };
  const t0 = pmx.zeusTrusteeKeygen();
  const t1 = pmx.zeusTrusteeKeygen();
  const sid = 'js/1';
  const keys = [t0, t1].map((t) => pmx.zeusPublishTrusteeKey(t.secret, sid));
  const pk = pmx.zeusCombineTrusteeKeys(sid, keys);
  const voters = [0, 1, 2, 3].map(() => pmx.zeusVoterKeygen());
  const zp = {
    session_id: sid,
    election_public_key: pk,
    trustees: keys,
    answers: ['a', 'b', 'c', 'd'],
    voters: voters.map((v) => v.credential),
  };
  const ballots = ['a', 'b', 'c', 'd'].map((v, i) => pmx.zeusEncryptBallot(voters[i].secret, zp, v));
  const booth = pmx.zeusProcess(null, 'ZEUS_BOOTH', zp, ballots);
  const mix = pmx.zeusMix(zp, booth.outputs);
  const shares0 = pmx.zeusPartialDecrypt(t0.secret, zp, mix.outputs);
  const shares1 = pmx.zeusPartialDecrypt(t1.secret, zp, mix.outputs);
  const allShares = [...shares0, ...shares1];
  const zeus = {
    params: zp,
    ballots,
    boothOutputs: booth.outputs,
    mixOutputs: mix.outputs,
    mixProof: mix.proof,
    shares0,
    allShares,
    plaintexts: pmx.zeusCombine(zp, allShares),
    transcript: pmx.zeusSimulateElection({
      session_id: 'js-election',
      trustees: 2,
      mixes: ['tw', 'sk'],
      answers: ['x', 'y', 'z'],
      plaintexts: ['x', 'y', 'z'],
    }).transcript,
  };
  const audited = pmx.zeusPrepareBallot(voters[2].secret, zp, 'c');
  const opening = audited.audit();
  zeus.audit = { ballot: audited.text, randomness: opening.randomness, answer: opening.answer };
  const r = await native('check', { core, sphinx, zeus });
  assert.equal(r.ok, true, JSON.stringify(r.checks));
  assert.equal(r.checks.length, 10);
  assert.ok(r.checks.some((c) => c.check === 'zeus.audit' && c.ok));
  // a wrong reported answer fails the native check
  zeus.audit.answer = 'd';
  const r2 = await native('check', { zeus });
  assert.deepEqual(
    r2.checks.filter((c) => !c.ok).map((c) => c.check),
    ['zeus.audit'],
  );
});

test('errors carry stable codes', () => {
  assert.throws(() => pmx.keyId('00'), { name: 'PanoramixError', code: 'bad_key' });
  assert.throws(() => pmx.sphinxWrap({ MAX_HOPS: 99 }, [], 'x', 'y'), { code: 'endpoint_params' });
  assert.throws(() => pmx.sphinxWrap(null, [], 'x', 'y'), { code: 'sphinx_empty_route' });
  const m = pmx.sphinxKeygen();
  assert.throws(() => pmx.sphinxWrap(null, [m.publicKey, m.publicKey], 'x', 'y'), {
    code: 'sphinx_duplicate_hop',
  });
  const v = pmx.zeusVoterKeygen();
  assert.throws(() => pmx.zeusEncryptBallot(v.secret, { session_id: 's', election_public_key: 'zz' }, 'v'), {
    code: 'endpoint_params',
  });
  const t = pmx.zeusTrusteeKeygen();
  const free = { session_id: 's', election_public_key: t.publicKey };
  assert.throws(() => pmx.zeusEncryptBallot(v.secret, free, 'x'.repeat(40)), {
    code: 'zeus_plaintext_too_long',
  });
  assert.throws(() => pmx.zeusEncryptBallot('zz', free, 'v'), { code: 'bad_key' });
  assert.throws(() => pmx.zeusEncryptBallot(v.secret, { ...free, answers: ['yes'] }, 'no'), {
    code: 'zeus_not_an_answer',
  });
  assert.throws(() => pmx.processEndpoint({}, { endpoint_id: 'e', endpoint_type: 'SPHINXMIX' }, []), {
    code: 'missing_secret',
  });
});
