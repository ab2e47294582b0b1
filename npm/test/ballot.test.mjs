// ZEUS ballots in the package (issue 13): voter credentials, the validity proof for
// a list of answers, eligibility, the Benaloh challenge (cast or audit, never both),
// spoiled outcomes, and a whole election assembled from published texts.
// No controller needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pmx from '@panoramix/mixnet';

const ANSWERS = ['yes', 'no', 'abstain'];

/** An election: two trustees, three answers, three voters on the list. */
/** An election; `keySession`: the session the trustees' key proofs are bound to
 * (a mix-net's booth uses TRUSTEE_KEY_SESSION; default: the election's own). */
function election(sid = 'ballot-test/1', answers = ANSWERS, keySession) {
  const trustees = [pmx.zeusTrusteeKeygen(), pmx.zeusTrusteeKeygen()];
  const ks = keySession ?? sid;
  const keys = trustees.map((t) => pmx.zeusPublishTrusteeKey(t.secret, ks));
  const pk = pmx.zeusCombineTrusteeKeys(ks, keys);
  const voters = [pmx.zeusVoterKeygen(), pmx.zeusVoterKeygen(), pmx.zeusVoterKeygen()];
  const params = {
    session_id: sid,
    election_public_key: pk,
    trustees: keys,
    answers,
    voters: voters.map((v) => v.credential),
  };
  if (keySession) params.trustee_key_session = keySession;
  return { params, trustees, voters };
}

const code = (c) => (e) => {
  assert.ok(e instanceof pmx.PanoramixError, `not a PanoramixError: ${e}`);
  assert.equal(e.code, c, e.message);
  return true;
};

test('voter credentials: fresh, hex, the credential recomputes from the secret', () => {
  const v = pmx.zeusVoterKeygen();
  assert.match(v.secret, /^[0-9a-f]{64}$/);
  assert.match(v.credential, /^[0-9a-f]{64}$/);
  assert.notEqual(v.secret, v.credential);
  assert.equal(pmx.zeusVoterCredential(v.secret), v.credential);
  assert.notEqual(pmx.zeusVoterKeygen().credential, v.credential);
  assert.throws(() => pmx.zeusVoterCredential('zz'), code('bad_key'));
});

test('Benaloh: prepare -> audit opens to the answer -> castText throws ballot_audited', () => {
  const { params, voters } = election();
  const b = pmx.zeusPrepareBallot(voters[0].secret, params, 'no');
  assert.ok(b instanceof pmx.PreparedBallot);
  assert.equal(b.credential, voters[0].credential);
  assert.equal(b.tracker, pmx.sha256Hex(new TextEncoder().encode(b.text)));
  assert.equal(b.tracker, pmx.zeusBallotTracker(b.text));
  assert.equal(b.audited, false);
  const o = b.audit();
  assert.equal(o.ok, true);
  assert.equal(o.answer, 'no');
  assert.equal(o.answerHex, '6e6f');
  assert.match(o.randomness, /^[0-9a-f]{64}$/);
  assert.equal(b.audited, true);
  // only an unopened ballot can be cast
  assert.throws(() => b.castText(), code('ballot_audited'));
  assert.equal(b.cast, false);
  // auditing again shows the same opening
  assert.deepEqual(b.audit(), o);
  // an independent checker gets the same answer from the text and the randomness
  assert.equal(pmx.zeusAuditBallot(params, b.text, o.randomness), 'no');
  // a wrong randomness does not open it
  const other = pmx.zeusPrepareBallot(voters[0].secret, params, 'no').audit().randomness;
  assert.throws(() => pmx.zeusAuditBallot(params, b.text, other), code('zeus_ballot_opening'));
  assert.throws(() => pmx.zeusAuditBallot(params, b.text, 'zz'), code('bad_key'));
  b.free();
  b.free(); // idempotent
  assert.throws(() => b.castText(), code('invalid_argument'));
  assert.throws(() => b.text, code('invalid_argument'));
});

test('an unaudited ballot verifies, can be cast, and then cannot be audited', () => {
  const { params, voters } = election();
  const b = pmx.zeusPrepareBallot(voters[1].secret, params, 'abstain');
  const v = pmx.zeusVerifyBallot(params, b.text);
  assert.equal(v.credential, voters[1].credential);
  assert.equal(v.tracker, b.tracker);
  assert.match(v.ciphertext, /^[0-9a-f]{128}$/);
  assert.equal(b.castText(), b.text);
  assert.equal(b.cast, true);
  assert.throws(() => b.audit(), code('ballot_cast'));
  // the one-step form verifies too; each encryption is fresh
  const t = pmx.zeusEncryptBallot(voters[1].secret, params, 'yes');
  assert.equal(pmx.zeusVerifyBallot(params, t).credential, voters[1].credential);
  assert.notEqual(t, pmx.zeusEncryptBallot(voters[1].secret, params, 'yes'));
  // params may be given as JSON text
  assert.equal(pmx.zeusVerifyBallot(JSON.stringify(params), t).tracker, pmx.zeusBallotTracker(t));
});

test('a ballot for an answer not on the list is refused', () => {
  const { params, voters } = election();
  for (const bad of ['maybe', 'Yes', '', 'yes ']) {
    assert.throws(
      () => pmx.zeusPrepareBallot(voters[0].secret, params, bad),
      code('zeus_not_an_answer'),
      `answer ${JSON.stringify(bad)}`,
    );
    assert.throws(() => pmx.zeusEncryptBallot(voters[0].secret, params, bad), code('zeus_not_an_answer'));
  }
  assert.throws(() => pmx.zeusPrepareBallot(voters[0].secret, params, 'x'.repeat(40)), code('zeus_not_an_answer'));
  assert.throws(() => pmx.zeusPrepareBallot('zz', params, 'yes'), code('bad_key'));
  // wrong types are argument errors, never a WebAssembly trap
  assert.throws(() => pmx.zeusPrepareBallot(7, params, 'yes'), code('invalid_argument'));
  assert.throws(() => pmx.zeusPrepareBallot(voters[0].secret, params, null), code('invalid_argument'));
  assert.throws(() => pmx.zeusVerifyBallot(params, {}), code('invalid_argument'));
  assert.throws(
    () => pmx.zeusPrepareBallot(voters[0].secret, { ...params, answers: ['a', 'a'] }, 'a'),
    code('zeus_malformed'),
  );
  assert.throws(
    () => pmx.zeusPrepareBallot(voters[0].secret, { ...params, extra: 1 }, 'yes'),
    code('endpoint_params'),
  );
  assert.throws(
    () => pmx.zeusPrepareBallot(voters[0].secret, { session_id: 's' }, 'yes'),
    code('endpoint_params'),
  );
});

test('a ballot under a credential not on the voter list fails verification', () => {
  const { params, voters } = election();
  const outsider = pmx.zeusVoterKeygen();
  // made for this election, but not eligible
  const text = pmx.zeusEncryptBallot(outsider.secret, params, 'yes');
  assert.throws(() => pmx.zeusVerifyBallot(params, text), code('zeus_not_eligible'));
  // a ballot binds the whole definition, voter list included: one made for the
  // same election open to anyone verifies there and nowhere else
  const open = { ...params, voters: [] };
  const openText = pmx.zeusEncryptBallot(outsider.secret, open, 'yes');
  assert.equal(pmx.zeusVerifyBallot(open, openText).credential, outsider.credential);
  assert.throws(() => pmx.zeusVerifyBallot(params, openText), code('zeus_ballot_signature'));
  // an eligible voter's ballot verifies under the same parameters
  pmx.zeusVerifyBallot(params, pmx.zeusEncryptBallot(voters[2].secret, params, 'yes'));
  // a ballot made for other answers does not verify for these
  const text2 = pmx.zeusEncryptBallot(voters[0].secret, { ...params, answers: ['yes', 'no'] }, 'yes');
  assert.throws(() => pmx.zeusVerifyBallot(params, text2), code('zeus_malformed'));
  const text3 = pmx.zeusEncryptBallot(voters[0].secret, { ...params, answers: ['yes', 'no', 'maybe'] }, 'yes');
  assert.throws(() => pmx.zeusVerifyBallot(params, text3), code('zeus_ballot_proof'));
  // or for another session (another cycle of the mix-net)
  const text4 = pmx.zeusEncryptBallot(voters[0].secret, { ...params, session_id: 'other' }, 'yes');
  assert.throws(() => pmx.zeusVerifyBallot(params, text4), code('zeus_ballot_proof'));
  // junk text
  assert.throws(() => pmx.zeusVerifyBallot(params, 'zz'), code('zeus_encoding'));
});

test('spoiled outcomes parse; plaintext outcomes decode', () => {
  const el = 'ab'.repeat(32);
  assert.deepEqual(pmx.zeusParseOutcome(`spoiled:${el}`), {
    spoiled: true,
    hex: el,
    bytes: null,
    answer: null,
  });
  const y = pmx.zeusParseOutcome('796573');
  assert.equal(y.spoiled, false);
  assert.equal(y.answer, 'yes');
  assert.deepEqual([...y.bytes], [0x79, 0x65, 0x73]);
  assert.equal(pmx.zeusParseOutcome('').answer, '');
  assert.equal(pmx.zeusParseOutcome('ff').answer, null); // not UTF-8
  for (const bad of ['spoiled:', 'spoiled:abc', 'SPOILED:' + el, '7965 73', 'xyz', 'ABCD', null]) {
    assert.throws(() => pmx.zeusParseOutcome(bad), code('invalid_argument'), String(bad));
  }
});

test('MixnetSender: ZEUS needs a voter credential; results know spoiled outcomes', async () => {
  // a mix-net's booth: its trustees' key proofs are bound to TRUSTEE_KEY_SESSION
  const { params, voters } = election('j/1', ANSWERS, pmx.TRUSTEE_KEY_SESSION);
  const el = '12'.repeat(32);
  const posted = [];
  const fake = {
    id: 'me',
    endpoint: async () => ({ status: 'PROCESSED', endpoint_params: params }),
    postMessage: async (...a) => posted.push(a),
    messages: async () => [
      { recipient: 'j', text: '796573' },
      { recipient: 'j', text: `spoiled:${el}` },
      { recipient: 'j', text: '6e6f' },
    ],
  };
  const spec = {
    name: 'j',
    backend: 'ZEUS',
    election_public_key: params.election_public_key,
    election: { question: 'Q?', options: ANSWERS, voters: params.voters },
  };
  const s = new pmx.MixnetSender(fake, 'j', spec, ['a'], null);
  assert.throws(() => s.encrypt(1, null, 'yes'), code('missing_credential'));
  assert.throws(() => s.prepareBallot(1, 'yes'), code('missing_credential'));
  // the parameters of cycle 1 from the description: what the booth will check
  assert.deepEqual(s.zeusParams(1), {
    session_id: 'j/1',
    election_public_key: params.election_public_key,
    trustee_key_session: pmx.TRUSTEE_KEY_SESSION,
    sk_rounds: 128,
    answers: ANSWERS,
    voters: params.voters,
  });
  await assert.rejects(s.send(1, null, 'yes'), code('missing_credential'));
  // send makes the ballot for the booth's own parameters (electionParams)
  assert.deepEqual(await s.electionParams(1), params);
  await s.send(1, null, 'abstain', { voterSecret: voters[2].secret });
  assert.equal(posted.length, 1);
  const [entry, box, sender, recipient, text] = posted[0];
  assert.deepEqual([entry, box, sender, recipient], ['j-1-booth', 'INBOX', 'me', 'j']);
  assert.equal(pmx.zeusVerifyBallot(params, text).credential, voters[2].credential);
  const m = s.encrypt(1, null, 'yes', { voterSecret: voters[0].secret });
  assert.equal(m.recipient, 'j');
  assert.equal(pmx.zeusVerifyBallot(params, m.text).credential, voters[0].credential);
  s.voterSecret = voters[1].secret;
  const b = s.prepareBallot(1, 'no');
  assert.equal(b.credential, voters[1].credential);
  b.audit();
  await assert.rejects(s.cast(1, b), code('ballot_audited'));
  assert.throws(() => s.prepareBallot(1, 'maybe'), code('zeus_not_an_answer'));
  const r = await s.results(1);
  assert.deepEqual(
    r.map((x) => [x.spoiled, x.bytes && new TextDecoder().decode(x.bytes)]),
    [
      [false, 'yes'],
      [true, null],
      [false, 'no'],
    ],
  );
});

test('a whole election from published texts: assembled transcript verifies, a flipped proof byte does not', () => {
  const sid = 'ballot-test/assemble';
  const { params, trustees, voters } = election(sid);
  // voter 0 re-votes: the last ballot counts
  const votes = [
    [0, 'yes'],
    [1, 'no'],
    [0, 'abstain'],
    [2, 'no'],
  ];
  const inputs = votes.map(([v, a]) => pmx.zeusEncryptBallot(voters[v].secret, params, a));
  const booth = pmx.zeusProcess(null, 'ZEUS_BOOTH', params, inputs);
  assert.equal(booth.outputs.length, 3, 'one counted ballot per credential');
  const tw = pmx.zeusMix(params, booth.outputs, 'tw');
  const sk = pmx.zeusMix(params, tw.outputs, 'sk');
  const shares = trustees.flatMap((t) => pmx.zeusPartialDecrypt(t.secret, params, sk.outputs));
  const outcomes = pmx.zeusCombine(params, shares);
  assert.deepEqual(
    outcomes.map((o) => pmx.zeusParseOutcome(o).answer).sort(),
    ['abstain', 'no', 'no'],
  );
  const mixes = [
    { mixer: 'trustee-0', outputs: tw.outputs, proof: tw.proof },
    { mixer: 'trustee-1', outputs: sk.outputs, proof: sk.proof },
  ];
  const json = pmx.zeusAssembleElection(params, inputs, mixes, shares, outcomes);
  const t = JSON.parse(json);
  assert.equal(t.version, 'panoramix/zeus/v2/election');
  assert.deepEqual(t.election.voters, params.voters);
  const report = pmx.zeusVerifyElection(json);
  assert.ok(report);
  // a mix output that is not the published one is refused
  assert.throws(
    () =>
      pmx.zeusAssembleElection(params, inputs, [mixes[0], { ...mixes[1], outputs: [...sk.outputs].reverse() }], shares, outcomes),
    (e) => e instanceof pmx.PanoramixError && e.code.startsWith('zeus_'),
  );
  // flip one hex digit of a partial decryption proof in the transcript
  const bad = JSON.parse(json);
  const p = bad.partial_decryptions[0].proofs[0];
  const k = Object.keys(p).find((x) => typeof p[x] === 'string');
  p[k] = (p[k][0] === '0' ? '1' : '0') + p[k].slice(1);
  assert.throws(
    () => pmx.zeusVerifyElection(JSON.stringify(bad)),
    (e) => e instanceof pmx.PanoramixError && e.code.startsWith('zeus_'),
  );
});

test('zeusSimulateElection: the new spec shape, secrets returned', () => {
  const r = pmx.zeusSimulateElection({
    session_id: 'sim/1',
    trustees: 2,
    mixes: ['tw', 'sk'],
    answers: ['a', 'b'],
    plaintexts: ['a', 'b', 'a'],
  });
  assert.equal(r.trusteeSecrets.length, 2);
  assert.equal(r.voterSecrets.length, 3);
  const t = JSON.parse(r.transcript);
  assert.deepEqual([...t.plaintexts].sort(), ['61', '61', '62']);
  pmx.zeusVerifyElection(r.transcript);
  assert.throws(
    () => pmx.zeusSimulateElection({ session_id: 's', trustees: 1, mixes: ['xx'], plaintexts: [] }),
    code('invalid_argument'),
  );
});
