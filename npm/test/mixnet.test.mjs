// The package against a live native controller, with native contributor agents:
// JavaScript registers peers and sends Sphinx messages and Zeus ballots; JavaScript
// contributors run the contributor protocol (the package's Contributor: the same
// state machine as the native agent, in WebAssembly) side by side with Rust agents,
// each verifying the others' output before taking it as input (and co-signing
// nothing that does not check); JavaScript also verifies what the Rust contributors
// produced; the native `panoramix audit verify` checks the whole log,
// JavaScript-signed requests included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as pmx from '@panoramix/mixnet';
import { PANORAMIX_BIN, native, run, startController, waitFor } from './helpers.mjs';

let ctl;
before(async () => {
  ctl = await startController();
});
after(() => ctl?.stop());

/** A JavaScript contributor: identity, backend key, registered by the JS client. */
async function jsContributor(backend, name) {
  const k = pmx.generateKeypair();
  const client = await pmx.PanoramixClient.connect(k.secret, ctl.url);
  let secrets;
  let cryptoParams;
  if (backend === 'SPHINXMIX') {
    const m = pmx.sphinxKeygen();
    secrets = { mix: m.secret };
    cryptoParams = { mix_key: m.publicKey };
  } else {
    const t = pmx.zeusTrusteeKeygen();
    secrets = { trustee: t.secret };
    cryptoParams = { trustee_key: pmx.zeusPublishTrusteeKey(t.secret, pmx.TRUSTEE_KEY_SESSION) };
  }
  const peer = await client.register(name, 'contributor', backend, cryptoParams);
  assert.equal(peer.peer_id, k.keyId);
  return { native: { secret: k.secret, js: true }, secrets, client };
}

/** A Rust contributor: keys made natively, registered by pmx-native setup. */
async function rustContributor(backend) {
  const f = await native('fixtures'); // fresh keys, made by the native crates
  const k = pmx.generateKeypair();
  const c = { secret: k.secret };
  if (backend === 'SPHINXMIX') c.mix = f.sphinx.mixes[0].secret;
  else c.trustee = f.zeus.trusteeSecrets[0];
  return { native: c };
}

/** Verify a PROCESSED endpoint's published output (as a downstream owner does). */
async function verifyPublished(client, id) {
  const ep = await client.endpoint(id);
  const inputs = await client.messages(id, 'ACCEPTED');
  const outputs = await client.messages(id, 'OUTBOX');
  const proof =
    typeof ep.process_proof === 'string'
      ? ep.process_proof
      : ep.process_proof == null
        ? ''
        : JSON.stringify(ep.process_proof);
  pmx.verifyEndpoint(ep, inputs, outputs, proof);
  return outputs.length;
}

async function runMixnet(backend, owners, messages, election) {
  const spec = {
    name: `${backend.toLowerCase()}js`,
    backend,
    params:
      backend === 'SPHINXMIX'
        ? { BODY_LEN: 1024, MAX_HOPS: 5 }
        : { MIX_PROOF: 'TW', SK_ROUNDS: 128 },
    size_min: messages.length,
    size_max: messages.length,
    terms: 'test terms',
  };
  if (election) spec.election = election.definition;
  const { joint } = await native('setup', {
    url: ctl.url,
    spec,
    contributors: owners.map((o) => o.native),
  });
  const agents = native('agents', {
    url: ctl.url,
    joint,
    cycles: 1,
    timeout_ms: 120000,
    contributors: owners.map((o) => o.native),
  });
  // the JavaScript contributors run beside the native agents from the start (the
  // cycle's graph needs every owner's signature)
  const saved = [];
  const events = [];
  const js = owners
    .filter((o) => o.client)
    .map(
      (o) =>
        new pmx.Contributor(o.secrets, o.client, {
          joint,
          maxCycles: 1,
          onSave: (state) => saved.push(JSON.parse(state)),
          onEvent: (e) => events.push(e),
        }),
    );
  const stop = new AbortController();
  const running = Promise.all(js.map((c) =>
      c.run({ signal: stop.signal, idleMs: 50, onError: (e) => events.push(`error: ${e.message}`) }),
    ));
  try {
    // a fresh, unregistered sender posts to the public entry endpoint
    const senderClient = await pmx.PanoramixClient.connect(pmx.generateKeypair().secret, ctl.url);
    const sender = await pmx.MixnetSender.open(senderClient, joint);
    await waitFor('the entry endpoint', () => sender.isOpen(1));
    for (const [i, m] of messages.entries()) await sender.send(1, 'bob', m, { voterSecret: election?.voters[i].secret });
    const out = await waitFor('the cycle output', () => sender.results(1));
    // every JavaScript contributor sees the cycle through to its end
    const states = await running;
    assert.ok(states.every((st) => st.completed === 0 && st.cycle === 1), JSON.stringify(states));
    const agentResult = await agents;
    assert.equal(agentResult.ok, true, JSON.stringify(agentResult.logs, null, 1));
    // each one saved its processed output before uploading it
    assert.ok(saved.some((st) => Object.keys(st.processed).length > 0), JSON.stringify(saved));
    assert.ok(!events.some((e) => e.startsWith('REFUSED')), JSON.stringify(events));
    const steps = [{ events }];
    return { joint, sender, out, steps, js };
  } finally {
    stop.abort();
  }
}

test('SPHINXMIX: JS → Rust → JS mixes, messages sent from JavaScript', async () => {
  const owners = [
    await jsContributor('SPHINXMIX', 'js-mix-0'),
    await rustContributor('SPHINXMIX'),
    await jsContributor('SPHINXMIX', 'js-mix-2'),
  ];
  const messages = Array.from({ length: 6 }, (_, i) => `message ${i} ${pmx.randomHex(8)}`);
  const { out, steps, sender, js } = await runMixnet('SPHINXMIX', owners, messages);
  assert.deepEqual(out.map((m) => m.text).sort(), [...messages].sort());
  assert.ok(out.every((m) => m.recipient === 'bob'));
  assert.notDeepEqual(out.map((m) => m.text), messages, 'output in input order');
  // both JS mixes processed their batch in WebAssembly
  const processed = steps.flatMap((s) => s.events).filter((e) => e.startsWith('processed '));
  assert.equal(processed.length, 2, JSON.stringify(steps));
  // JavaScript checks the Rust mix the way a downstream owner does
  const ids = sender.ids(1);
  assert.equal(await verifyPublished(js[1].client, ids.mixes[1]), messages.length);
  // between steps a contributor waits on the change feed: until the wait is over
  // when nothing changes, and only until the next write when something does
  const c = js[0];
  await c.waitForChange({ maxMs: 600 }); // catch up with what it has not seen
  let t0 = Date.now();
  await c.waitForChange({ maxMs: 600 });
  assert.ok(Date.now() - t0 >= 550, `a wait with no change took ${Date.now() - t0} ms`);
  t0 = Date.now();
  const writer = await pmx.PanoramixClient.connect(pmx.generateKeypair().secret, ctl.url);
  const wrote = new Promise((r) => setTimeout(r, 150)).then(() => writer.register('wake-up', 'contributor', 'SPHINXMIX', {}));
  await c.waitForChange({ maxMs: 5000 });
  const took = Date.now() - t0;
  await wrote;
  assert.ok(took >= 100 && took < 3000, `a wait ended by a write took ${took} ms`);
});

test('ZEUS: JS and Rust trustees, ballots sent from JavaScript with voter credentials', async () => {
  const owners = [await jsContributor('ZEUS', 'js-trustee-0'), await rustContributor('ZEUS')];
  const votes = ['yes', 'no', 'yes', 'abstain', 'no'];
  const voters = votes.map(() => pmx.zeusVoterKeygen());
  const definition = {
    question: 'Agreed?',
    options: ['yes', 'no', 'abstain'],
    voters: voters.map((v) => v.credential),
  };
  const { out, steps, sender, js } = await runMixnet('ZEUS', owners, votes, { definition, voters });
  assert.ok(out.every((m) => m.spoiled === false));
  const got = out.map((m) => new TextDecoder().decode(m.bytes));
  assert.deepEqual([...got].sort(), [...votes].sort());
  // the JS trustee mixed (TW proof, verified by the Rust agent) and decrypted
  const processed = steps.flatMap((s) => s.events).filter((e) => e.startsWith('processed '));
  assert.equal(processed.length, 2, JSON.stringify(steps));
  // JavaScript verifies the Rust trustee's mix proof and decryption shares, and
  // the whole chain from the booth to the combination
  const ids = sender.ids(1);
  for (const id of [ids.entry, ...ids.mixes, ...ids.decryptions, ids.result]) {
    await verifyPublished(js[0].client, id);
  }
  // without a credential the sender refuses to make a ballot
  assert.throws(() => sender.encrypt(1, null, 'yes'), { code: 'missing_credential' });
  // the booth's params are what the sender derived from the description
  const c = sender.client;
  const booth = await c.endpoint(ids.entry);
  const p = booth.endpoint_params;
  assert.deepEqual(p.answers, definition.options);
  assert.deepEqual(p.voters, definition.voters);
  const derived = sender.zeusParams(1);
  for (const k of Object.keys(derived)) assert.deepEqual(p[k], derived[k], k);
  // a ballot prepared from the derived parameters is one the booth accepts (its
  // signature binds the definition: key session and SK rounds included)
  const voter = voters[0].secret;
  const made = sender.prepareBallot(1, 'yes', { voterSecret: voter });
  pmx.zeusVerifyBallot(p, made.castText());
  made.free();
  // the election transcript from the published texts (as the web results page
  // offers it for download), verified
  const transcript = await sender.electionTranscript(1);
  const report = pmx.zeusVerifyElection(transcript);
  const t = JSON.parse(transcript);
  assert.deepEqual(t.election, p);
  assert.deepEqual(t.mixes.map((m) => m.mixer), sender.owners);
  assert.equal(await sender.electionTranscript(2), null, 'cycle 2 has not run');
  assert.equal(t.ballots.length, votes.length, JSON.stringify(report));
});

test('the native audit verifier accepts the whole log', { skip: !PANORAMIX_BIN }, async () => {
  const r = await run(PANORAMIX_BIN, ['audit', 'verify', ctl.url]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
