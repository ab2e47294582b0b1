// Every export of the package refuses arguments of the wrong type or shape with a
// PanoramixError `invalid_argument` whose message names the function, the argument
// and what it must be (never "memory access out of bounds", never a silent
// signature over the wrong thing). Table-driven: one row (or more) per export and
// per public method; a test fails when an export has no row. No controller needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pmx from '@panoramix/mixnet';
import * as contributorEntry from '@panoramix/mixnet/contributor';

const key = pmx.generateKeypair();
const mixKey = pmx.sphinxKeygen();
const voter = pmx.zeusVoterKeygen();
const zp = { session_id: 's', election_public_key: pmx.zeusTrusteeKeygen().publicKey };
const endpoint = { endpoint_id: 'e', endpoint_type: 'SPHINXMIX' };
const noFetch = async () => {
  throw new Error('offline');
};
const client = new pmx.PanoramixClient(key.secret, 'http://127.0.0.1:9', 'ctl', { fetch: noFetch });
const action = client.action('POST', '/x/', 'r', 'o', {});
const route = new pmx.SphinxRoute(null, [mixKey.publicKey]);
const mix = new pmx.SphinxMix(mixKey.secret);
const ballot = pmx.zeusPrepareBallot(voter.secret, zp, 'yes');
const contributor = new pmx.Contributor({ mix: mixKey.secret }, client, { joint: 'j' });
const spec = { name: 'n', backend: 'ZEUS', params: {}, size_min: 1, size_max: 1 };
const machine = new pmx.ContributorMachine(key.secret, 'ctl', 'SPHINXMIX', { mix: mixKey.secret }, { mixnet: 'j' });
const sender = new pmx.MixnetSender(client, 'j', spec, [key.keyId], null);

// [export (or Class.method), argument named in the message (null: an extra one),
//  the wrong call]
const ROWS = [
  ['init', 'source', () => pmx.init(42)],
  ['initSync', 'source', () => pmx.initSync('not bytes')],
  ['isInitialized', null, () => pmx.isInitialized(1)],
  ['initContributor', 'source', () => pmx.initContributor({})],
  ['initContributorSync', 'source', () => pmx.initContributorSync(7)],
  ['isContributorInitialized', null, () => pmx.isContributorInitialized(true)],
  ['version', null, () => pmx.version('x')],
  ['generateKeypair', null, () => pmx.generateKeypair(key.secret)],
  ['keypairFromSecret', 'secret', () => pmx.keypairFromSecret(123)],
  ['keyId', 'keyData', () => pmx.keyId(null)],
  ['sign', 'secret', () => pmx.sign(123, 'envelope', 'x')],
  ['sign', 'domain', () => pmx.sign(key.secret, 'nope', 'x')],
  ['sign', 'message', () => pmx.sign(key.secret, 'envelope', 42)],
  ['verify', 'signature', () => pmx.verify(key.keyData, 'envelope', 'x', undefined)],
  ['canonicalEncode', 'value', () => pmx.canonicalEncode(undefined)],
  ['canonicalEncode', 'value', () => pmx.canonicalEncode(new Date())],
  ['canonicalDecode', 'text', () => pmx.canonicalDecode({})],
  ['signEnvelope', 'info', () => pmx.signEnvelope(key.secret, {}, 'notobj')],
  ['signEnvelope', 'data', () => pmx.signEnvelope(key.secret, [1], {})],
  ['signEnvelope', 'byConsensus', () => pmx.signEnvelope(key.secret, {}, {}, 'c')],
  ['verifyEnvelope', 'envelope', () => pmx.verifyEnvelope('{}')],
  ['actionBody', 'info', () => pmx.actionBody({}, null)],
  ['contributionText', 'meta', () => pmx.contributionText({}, 'accept')],
  ['parseContribution', 'text', () => pmx.parseContribution({ text: 'x' })],
  ['signContribution', 'negotiationId', () => pmx.signContribution(key.secret, 5, 'x')],
  ['verifyContribution', 'text', () => pmx.verifyContribution(key.keyData, 'n', null, 'ab')],
  ['contributionMessage', 'text', () => pmx.contributionMessage('n', 1)],
  ['consensusId', 'signings', () => pmx.consensusId('n', 't', { a: 1 }, 'ts')],
  ['closing', 'latest', () => pmx.closing(null, [{ signer: 'a' }])],
  ['closing', 'participants', () => pmx.closing('a', [])],
  ['jointKeyData', 'owners', () => pmx.jointKeyData('n', 'ab')],
  ['jointPeerId', 'keyData', () => pmx.jointPeerId(1)],
  ['messageHash', 'serial', () => pmx.messageHash(1.5, 's', 'r', 't')],
  ['setHash', 'hashes', () => pmx.setHash([1, 2])],
  ['sha256Hex', 'data', () => pmx.sha256Hex(null)],
  ['randomHex', 'bytes', () => pmx.randomHex(-1)],
  ['sphinxKeygen', null, () => pmx.sphinxKeygen(mixKey.secret)],
  ['sphinxKeyFromSecret', 'secret', () => pmx.sphinxKeyFromSecret(undefined)],
  ['sphinxNodeId', 'publicKey', () => pmx.sphinxNodeId(7)],
  ['sphinxParams', 'params', () => pmx.sphinxParams('big')],
  ['sphinxWrap', 'route', () => pmx.sphinxWrap(null, [1], 'bob', 'x')],
  ['sphinxWrap', 'message', () => pmx.sphinxWrap(null, [mixKey.publicKey], 'bob', 5)],
  ['sphinxCreateSurb', 'route', () => pmx.sphinxCreateSurb(null, null)],
  ['sphinxSurbReply', 'surb', () => pmx.sphinxSurbReply(null, {}, 'x')],
  ['sphinxOpenReply', 'opener', () => pmx.sphinxOpenReply('opener', 't')],
  ['sphinxGatewayAccept', 'texts', () => pmx.sphinxGatewayAccept(null, 'abc')],
  ['sphinxProcessBatch', 'secret', () => pmx.sphinxProcessBatch(null, null, [])],
  ['sphinxProcessBatch', 'texts', () => pmx.sphinxProcessBatch(mixKey.secret, null, [1])],
  ['SphinxRoute', 'route', () => new pmx.SphinxRoute(null, 'abc')],
  ['SphinxRoute.wrap', 'destination', () => route.wrap(null, 'x')],
  ['SphinxRoute.createSurb', null, () => route.createSurb(1)],
  ['SphinxMix', 'secret', () => new pmx.SphinxMix(null, mixKey.secret)],
  ['SphinxMix', 'cache', () => new pmx.SphinxMix(mixKey.secret, null, [1, 2])],
  ['SphinxMix.processBatch', 'texts', () => mix.processBatch(null)],
  ['SphinxMix.processPackets', 'packets', () => mix.processPackets([1, 2, 3])],
  ['SphinxMix.saveCache', null, () => mix.saveCache('x')],
  ['zeusTrusteeKeygen', null, () => pmx.zeusTrusteeKeygen(1)],
  ['zeusTrusteePublicKey', 'secret', () => pmx.zeusTrusteePublicKey(1n)],
  ['zeusPublishTrusteeKey', 'sessionId', () => pmx.zeusPublishTrusteeKey(key.secret)],
  ['zeusCombineTrusteeKeys', 'keys', () => pmx.zeusCombineTrusteeKeys('s', [{ public_key: 'a' }])],
  ['zeusVoterKeygen', null, () => pmx.zeusVoterKeygen(voter.secret)],
  ['zeusVoterCredential', 'secret', () => pmx.zeusVoterCredential([])],
  ['zeusEncryptBallot', 'params', () => pmx.zeusEncryptBallot('s', 42, 'yes')],
  ['zeusEncryptBallot', 'voterSecret', () => pmx.zeusEncryptBallot(zp, voter.secret, 'yes')],
  ['zeusPrepareBallot', 'answer', () => pmx.zeusPrepareBallot(voter.secret, zp, 3)],
  ['PreparedBallot', 'voterSecret', () => new pmx.PreparedBallot(null, zp, 'yes')],
  ['PreparedBallot.audit', null, () => ballot.audit(true)],
  ['PreparedBallot.castText', null, () => ballot.castText(true)],
  ['zeusVerifyBallot', 'ballot', () => pmx.zeusVerifyBallot(zp, 12)],
  ['zeusAuditBallot', 'randomness', () => pmx.zeusAuditBallot(zp, 'ab', null)],
  ['zeusBallotTracker', 'ballot', () => pmx.zeusBallotTracker(undefined)],
  ['zeusParseOutcome', 'text', () => pmx.zeusParseOutcome(7)],
  ['zeusProcess', 'type', () => pmx.zeusProcess(null, 'ZEUS_NOPE', zp, [])],
  ['zeusProcess', 'type', () => pmx.zeusProcess('ZEUS_BOOTH', zp, [])],
  ['zeusVerify', 'proof', () => pmx.zeusVerify('ZEUS_TW_MIX', zp, [], [], null)],
  ['zeusVerifyElection', 'transcript', () => pmx.zeusVerifyElection(5)],
  ['zeusSimulateElection', 'spec', () => pmx.zeusSimulateElection({ session_id: 's', trustees: 'two' })],
  ['zeusAssembleElection', 'mixes', () => pmx.zeusAssembleElection(zp, [], [{ mixer: 'm' }], [], [])],
  ['zeusMix', 'kind', () => pmx.zeusMix(zp, [], 'xx')],
  ['zeusVerifyMix', 'outputs', () => pmx.zeusVerifyMix(zp, [], 'ab', '{}')],
  ['zeusPartialDecrypt', 'trusteeSecret', () => pmx.zeusPartialDecrypt(zp, key.secret, [])],
  ['zeusCombine', 'shares', () => pmx.zeusCombine(zp, null)],
  ['processEndpoint', 'endpoint', () => pmx.processEndpoint(null, { endpoint_id: 'e' }, [])],
  ['processEndpoint', 'secrets', () => pmx.processEndpoint(endpoint, {}, [])],
  ['verifyEndpoint', 'outputs', () => pmx.verifyEndpoint(endpoint, [], [{ text: 1 }])],
  ['ContributorMachine', 'backend', () => new pmx.ContributorMachine(key.secret, 'c', 'MIX', null, {})],
  ['ContributorMachine.beginStep', 'now', () => machine.beginStep('now')],
  ['ContributorMachine.poll', null, () => machine.poll(1)],
  ['ContributorMachine.handle', 'text', () => machine.handle(200, {})],
  ['ContributorMachine.saved', null, () => machine.saved(1)],
  ['ContributorMachine.state', null, () => machine.state(1)],
  ['ContributorMachine.cryptoMillis', null, () => machine.cryptoMillis(1)],
  ['mixnetGraph', 'cycle', () => pmx.mixnetGraph(spec, 'j', [], [], -1)],
  ['mixnetGraph', 'key', () => pmx.mixnetGraph(spec, 'j', [], [], 1, 5)],
  ['dkgGraph', 'owners', () => pmx.dkgGraph(spec, 'j', null, [])],
  ['dkgGraph', 'trustees', () => pmx.dkgGraph(spec, 'j', [], null)],
  ['endpointIds', 'cycle', () => pmx.endpointIds(spec, -1, [])],
  ['PanoramixError', 'code', () => new pmx.PanoramixError(1, 'm')],
  ['ApiError', 'status', () => new pmx.ApiError('404', 'not_found', 'm')],
  ['PanoramixClient', 'baseUrl', () => new pmx.PanoramixClient(key.secret, 5, 'ctl')],
  ['PanoramixClient.connect', 'secret', () => pmx.PanoramixClient.connect(null, 'http://x')],
  ['PanoramixClient.connect', 'options', () => pmx.PanoramixClient.connect(key.secret, 'http://x', { fetch: 1 })],
  ['PanoramixClient.get', 'pathAndQuery', () => client.get(1)],
  ['PanoramixClient.info', 'operation', () => client.info('peer')],
  ['PanoramixClient.envelope', 'info', () => client.envelope({}, 'i')],
  ['PanoramixClient.send', 'method', () => client.send('FETCH', '/x/', {}, {})],
  ['PanoramixClient.call', 'data', () => client.call('POST', '/x/', 'r', 'o', 'd')],
  ['PanoramixClient.createNegotiation', 'participants', () => client.createNegotiation('t', 'me')],
  ['PanoramixClient.contribute', 'text', () => client.contribute('n', { text: 'x' })],
  ['PanoramixClient.negotiation', 'id', () => client.negotiation('')],
  ['PanoramixClient.contributions', 'negotiationId', () => client.contributions(null)],
  ['PanoramixClient.action', 'extraInfo', () => client.action('POST', '/x/', 'r', 'o', {}, 'x')],
  ['PanoramixClient.textFor', 'actions', () => pmx.PanoramixClient.textFor([{ method: 'POST' }])],
  ['PanoramixClient.selfConsensus', 'actions', () => client.selfConsensus('t', action)],
  ['PanoramixClient.apply', 'part', () => client.apply(action, 'c', -1)],
  ['PanoramixClient.registerAction', 'backend', () => client.registerAction('n', null, '')],
  ['PanoramixClient.register', 'name', () => client.register(null, null, 'ZEUS')],
  ['PanoramixClient.jointPeerAction', 'owners', () => client.jointPeerAction('n', 'a', 'ZEUS')],
  ['PanoramixClient.peer', 'id', () => client.peer(7)],
  ['PanoramixClient.endpointAction', 'spec', () => client.endpointAction(null)],
  ['PanoramixClient.transitionAction', 'hashes', () => client.transitionAction('e', '', 'CLOSED', 'h')],
  ['PanoramixClient.endpoint', 'id', () => client.endpoint(undefined)],
  ['PanoramixClient.postMessage', 'serial', () => client.postMessage('e', 'INBOX', 's', 'r', 't', 'one')],
  ['PanoramixClient.messages', 'box', () => client.messages('e')],
  ['Contributor', 'client', () => new pmx.Contributor({ mix: mixKey.secret }, {})],
  ['Contributor', 'secrets', () => new pmx.Contributor(client, { mix: mixKey.secret })],
  ['Contributor', 'options', () => new pmx.Contributor({ mix: mixKey.secret }, client, { joint: 5 })],
  ['Contributor', 'options', () => new pmx.Contributor({ mix: mixKey.secret }, client, {})],
  ['Contributor.step', null, () => contributor.step('j')],
  ['Contributor.run', 'options', () => contributor.run(5)],
  ['Contributor.waitForChange', 'options', () => contributor.waitForChange({ maxMs: -1 })],
  ['MixnetSender', 'owners', () => new pmx.MixnetSender(client, 'j', spec, 'abc', null)],
  ['MixnetSender.open', 'joint', () => pmx.MixnetSender.open(client, 5)],
  ['MixnetSender.ids', 'cycle', () => sender.ids(1.5)],
  ['MixnetSender.zeusParams', 'cycle', () => sender.zeusParams('1')],
  ['MixnetSender.electionParams', 'cycle', () => sender.electionParams(null)],
  ['MixnetSender.prepareBallot', 'options', () => sender.prepareBallot(1, 'yes', voter.secret)],
  ['MixnetSender.encrypt', 'options', () => sender.encrypt(1, null, 'yes', voter.secret)],
  ['MixnetSender.send', 'message', () => sender.send(1, null, 5)],
  ['MixnetSender.cast', 'prepared', () => sender.cast(1, 'text')],
  ['MixnetSender.isOpen', 'cycle', () => sender.isOpen(-2)],
  ['MixnetSender.electionTranscript', 'cycle', () => sender.electionTranscript()],
  ['MixnetSender.results', 'cycle', () => sender.results('1')],
  ['registerContributor', 'client', () => pmx.registerContributor({}, 'n', 'SPHINXMIX', {})],
  ['registerContributor', 'cryptoParams', () => pmx.registerContributor(client, 'n', 'SPHINXMIX', 'key')],
  ['createMixnet', 'spec', () => pmx.createMixnet(client, { name: 'n' }, 2)],
  ['createMixnet', 'invitations', () => pmx.createMixnet(client, spec, '2')],
  ['reviewInvitation', 'invitation', () => pmx.reviewInvitation(client, 5)],
  ['joinMixnet', 'reviewedSpec', () => pmx.joinMixnet(client, 'n|i', null)],
  ['proposeJoint', 'invitations', () => pmx.proposeJoint(client, 'n', spec, 'n|i')],
  ['proposeJointAmong', 'owners', () => pmx.proposeJointAmong(client, spec, [key.keyId, 7])],
  ['proposeJointAmong', 'spec.params.THRESHOLD', () => pmx.proposeJointAmong(client, { ...spec, params: { THRESHOLD: 3 } }, [key.keyId, key.keyId])],
  ['proposeJoint', 'spec.params.THRESHOLD', () => pmx.proposeJoint(client, 'n', { ...spec, params: { THRESHOLD: '2' } }, [])],
  ['completeSpec', 'spec.params.THRESHOLD', () => pmx.completeSpec(client, { ...spec, params: { THRESHOLD: 0 } }, [key.keyId])],
  ['confirmJoint', 'reviewedSpec.params.THRESHOLD', () => pmx.confirmJoint(client, { ...spec, backend: 'SPHINXMIX', params: { THRESHOLD: 1 } })],
  ['completeSpec', 'owners', () => pmx.completeSpec(client, spec, key.keyId)],
  ['confirmJoint', 'reviewedSpec', () => pmx.confirmJoint(client, 'spec')],
  ['finishMixnet', 'name', () => pmx.finishMixnet(client, '')],
  ['proposeSuccessor', 'newOwners', () => pmx.proposeSuccessor(client, 'j', 'abc', 'n2')],
  ['reviewSuccessor', 'oldJoint', () => pmx.reviewSuccessor(client, null)],
  ['coSign', 'text', () => pmx.coSign(client, 'n', {})],
  ['confirmSuccessor', 'acceptOwners', () => pmx.confirmSuccessor(client, 'j', true)],
  ['mixnetSuccessor', 'client', () => pmx.mixnetSuccessor('j')],
  ['agreedSuccessor', 'oldJoint', () => pmx.agreedSuccessor(client, 7)],
  ['currentMixnet', 'joint', () => pmx.currentMixnet(client)],
  ['contributor:init', 'contributor', () => contributorEntry.init(undefined, 42)],
  ['contributor:initSync', 'client', () => contributorEntry.initSync('bytes')],
];

/** The name a function's message starts with: `f`, `new C` or `C.method`. */
function shown(name) {
  if (name.startsWith('contributor:')) return name.slice('contributor:'.length);
  return /^[A-Z]/.test(name) && !name.includes('.') ? `new ${name}` : name;
}

for (const [name, arg, call] of ROWS) {
  test(`${name} refuses a wrong ${arg ?? 'extra argument'}`, async () => {
    let error;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    assert.ok(error, `${name}: no error`);
    assert.ok(error instanceof pmx.PanoramixError, `${name}: ${error}`);
    assert.equal(error.code, 'invalid_argument', `${name}: ${error.message}`);
    const prefix = arg ? `${shown(name)}: ${arg} must be ` : `${shown(name)}: takes no arguments`;
    assert.ok(error.message.startsWith(prefix), `${name}: "${error.message}" should start "${prefix}"`);
  });
}

test('async exports reject (they do not throw synchronously)', () => {
  for (const call of [() => pmx.init(42), () => client.get(1), () => sender.results('1')]) {
    const p = call();
    assert.ok(p instanceof Promise);
    p.catch(() => {});
  }
});

test('every export and public method has a row', () => {
  const covered = new Set(ROWS.map(([n]) => n));
  const missing = [];
  for (const [name, v] of Object.entries(pmx)) {
    if (typeof v !== 'function') continue;
    if (!covered.has(name)) missing.push(name);
    const own = (o) => Object.getOwnPropertyNames(o).filter((m) => typeof Object.getOwnPropertyDescriptor(o, m).value === 'function');
    for (const m of own(v).filter((m) => !['length', 'name', 'prototype'].includes(m))) {
      if (!covered.has(`${name}.${m}`)) missing.push(`${name}.${m}`);
    }
    if (/^[A-Z]/.test(name) && v.prototype) {
      for (const m of own(v.prototype).filter((m) => m !== 'constructor' && m !== 'free')) {
        if (name.endsWith('Error')) continue;
        if (!covered.has(`${name}.${m}`)) missing.push(`${name}.${m}`);
      }
    }
  }
  for (const name of ['init', 'initSync']) {
    if (!covered.has(`contributor:${name}`)) missing.push(`contributor:${name}`);
  }
  assert.deepEqual(missing, []);
});

test('a wrong argument does not reach WebAssembly: no "memory access out of bounds"', () => {
  for (const call of [
    () => pmx.sign(123, 'envelope', 'x'),
    () => pmx.sphinxProcessBatch(null, null, []),
    () => pmx.zeusEncryptBallot('s', 42, 'yes'),
  ]) {
    assert.throws(call, (e) => e.code === 'invalid_argument' && !/memory/.test(e.message));
  }
  // and a right one still works after them
  assert.ok(pmx.verify(key.keyData, 'envelope', 'x', pmx.sign(key.secret, 'envelope', 'x')));
});

test('messages never show a string argument, only its length', () => {
  assert.throws(
    () => pmx.zeusEncryptBallot(voter.secret, zp, { answer: 'yes' }),
    (e) => !e.message.includes(voter.secret) && /an object/.test(e.message),
  );
  assert.throws(
    () => pmx.zeusEncryptBallot(zp, voter.secret, 'yes'),
    (e) => !e.message.includes(voter.secret),
  );
  assert.throws(
    () => pmx.PanoramixClient.textFor([], 'yes'),
    (e) => /accept must be a boolean, got a string of 3 characters/.test(e.message),
  );
});
