// The result page: waits for the tally, then verifies the whole election in the
// browser (key shares, every ballot's validity proof, signature and eligibility,
// every shuffle proof, every partial decryption proof, the combination), listing
// each check as a numbered step; spoiled ballots are counted apart and never stop
// the tally. It assembles the election transcript (election.json, the file
// `panoramix verify-election` checks), verifies it too and offers it for download.
import { $, el, pmx, params, explain, showError, status, sleep, findMixnet, apiGet, apiList, ownersOf, progress, progressDone, short, download } from './common.js';
import { cycleGraph } from './agent.js';

const name = params.get('election') ?? params.get('mixnet') ?? 'election1';
const cycle = Number(params.get('cycle') ?? 1);
let published = [];
let superseded = new Set(); // trackers of ballots replaced by a later ballot of the same credential
let transcript = null;

const toMsg = (m) => ({ sender: m.sender ?? '', recipient: m.recipient ?? '', text: m.text, serial: m.serial ?? null, hash: m.message_hash ?? '' });
const messages = (id, box) => apiList(`/panoramix/messages/?endpoint_id=${encodeURIComponent(id)}&box=${box}`).then((l) => l.map(toMsg));
const proofText = (p) => (typeof p === 'string' ? p : p === null || p === undefined ? '' : JSON.stringify(p));
const trackerOf = (text) => pmx.sha256Hex(new TextEncoder().encode(text));
const sameTexts = (a, b) => a.length === b.length && [...a].map((m) => m.text).sort().join() === [...b].map((m) => m.text).sort().join();

function addCheck(text) {
  const li = el('li', { class: 'running' }, el('span', { class: 'badge wait' }, 'checking'), ' ', text);
  $('#checks').append(li);
  return {
    pass(detail) {
      li.className = 'ok';
      li.dataset.result = 'passed';
      li.firstChild.className = 'badge ok';
      li.firstChild.textContent = 'passed';
      if (detail) li.append(el('div', { class: 'muted' }, detail));
    },
    fail(err) {
      li.className = 'bad';
      li.dataset.result = 'failed';
      li.firstChild.className = 'badge bad';
      li.firstChild.textContent = 'FAILED';
      li.append(el('div', { class: 'error' }, err));
    },
  };
}

async function check(text, f) {
  const c = addCheck(text);
  await sleep(0);
  try {
    c.pass(await f());
    return true;
  } catch (e) {
    c.fail(e.message ?? String(e));
    return false;
  }
}

/** One row per option, then the spoiled or invalid ballots, counted apart. */
function renderTally(election, outcomes) {
  const counts = new Map(election.options.map((o) => [o, 0]));
  let spoiled = 0;
  for (const o of outcomes) {
    if (o.spoiled || o.answer === null || !counts.has(o.answer)) spoiled += 1;
    else counts.set(o.answer, counts.get(o.answer) + 1);
  }
  const total = outcomes.length || 1;
  const row = (label, n, attrs) => el('tr', attrs,
    el('th', { scope: 'row' }, label), el('td', {}, String(n)),
    el('td', {}, el('div', { class: 'bar', style: null, 'aria-hidden': 'true', 'data-w': Math.round((100 * n) / total) })));
  $('#tally').replaceChildren(...[...counts].map(([o, n]) => row(o, n, { 'data-option': o, 'data-votes': n })));
  $('#tally-spoiled').replaceChildren(row('spoiled/invalid', spoiled, { 'data-spoiled': spoiled, class: 'spoiled' }));
  for (const b of document.querySelectorAll('.bar')) b.style.width = `${b.dataset.w}%`;
  return spoiled;
}

async function main() {
  // the client module, and the contributor module for the endpoints' proof checks
  await Promise.all([pmx.init(), pmx.initContributor()]);
  progress('waiting for the election');
  let joint = await findMixnet(name);
  while (!joint) {
    status(`The election ${name} does not exist yet.`);
    await sleep(1000);
    joint = await findMixnet(name);
  }
  const spec = joint.crypto_params;
  const election = spec.election ?? { question: '', options: [] };
  $('#question').textContent = election.question;
  const owners = ownersOf(joint);
  // the trustees: a threshold election's `TRUSTEES` (apart from the owners, who
  // only shuffle), or the owners
  const trusteeIds = spec.params?.TRUSTEES ?? owners;
  const apart = trusteeIds !== owners;
  const peers = [];
  for (const o of trusteeIds) peers.push((await apiGet(`/panoramix/peers/${o}/`)).data);
  const trustees = peers.map((p) => p.crypto_params?.trustee_key ?? null);
  // threshold trustees: the cycles' endpoints carry the key generation's result
  const t = spec.params?.THRESHOLD ?? null;
  let graph = cycleGraph(spec, joint.peer_id, owners, trustees, cycle);
  const ids = graph.map((g) => g.endpoint_id);
  const combineId = ids[ids.length - 1];
  // wait for the combination (a threshold election's is the first owner's)
  for (;;) {
    const eps = await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(joint.peer_id)}`);
    if (t) eps.push(...(await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(owners[0])}`)));
    const booth = eps.find((e) => e.endpoint_id === ids[0]);
    const combine = eps.find((e) => e.endpoint_id === combineId);
    if (combine?.status === 'PROCESSED') break;
    const s = !booth ? 'the ballot box is being set up' : booth.status === 'OPEN'
      ? `ballots cast: ${booth.inbox_count} of ${booth.size_min} needed to close the ballot box`
      : `the ballot box is closed; the trustees are mixing and decrypting${t ? ` (any ${t} of the ${trusteeIds.length} trustees' partial decryptions suffice)` : ''}`;
    status(`Round ${cycle}: ${s}.`);
    progress(s, booth?.status === 'OPEN' ? booth.inbox_count : undefined, booth?.size_min);
    await sleep(800);
  }
  status('The tally is published. Verifying it in this browser…');
  const dkg = t ? await keyGeneration(spec, joint.peer_id, owners, trustees) : null;
  if (dkg) graph = cycleGraph(spec, joint.peer_id, owners, trustees, cycle, dkg.key);
  const eps = new Map();
  for (const g of graph) {
    const id = g.endpoint_id;
    if (t && /-decr\d+$/.test(id)) {
      // a threshold trustee's own: one absent at tally time never made it (a list,
      // not a lookup that would answer 404)
      const own = await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(g.peer_id)}`);
      const e = own.find((x) => x.endpoint_id === id);
      if (e) eps.set(id, e);
    } else {
      eps.set(id, (await apiGet(`/panoramix/endpoints/${id}/`)).data);
    }
  }
  const steps = 7 + owners.length + trusteeIds.length;
  let n = 0;
  const tick = (label) => progress(label, ++n, steps);
  let ok = true;
  tick('election key');
  if (dkg) {
    ok &= await check(`The election key comes from the trustees' key generation (any ${t} of the ${trusteeIds.length} trustees can count${apart ? `, apart from the ${owners.length} contributors who shuffle` : ''}): each trustee's published key share comes with a valid proof that it knows the secret, every dealing and verdict is signed by its trustee, and the election key, the qualified trustees and their verification keys recompute from them.`, () => verifyKeyGeneration(dkg, peers));
  } else {
    ok &= await check('The election key is the sum of the trustees\' published key shares, and each share comes with a valid proof that its trustee knows the secret.', () => {
      const keys = peers.map((p) => p.crypto_params.trustee_key);
      const k = pmx.zeusCombineTrusteeKeys(pmx.TRUSTEE_KEY_SESSION, keys);
      if (k !== spec.election_public_key) throw new Error('the election key does not recompute from the trustees\' shares');
      return `${owners.length} trustees, key fingerprints (as shown on their pages): ${keys.map((x) => fingerprint(x.public_key)).join('; ')}; election key ${short(k)}`;
    });
  }
  tick('endpoint graph');
  ok &= await check('The round\'s stages (ballot box, mixes, partial decryptions, combination) are the ones the trustees agreed on, with the agreed owners, links and parameters.', () => {
    for (const g of graph) {
      const e = eps.get(g.endpoint_id);
      if (!e) continue; // an absent trustee's partial decryption (checked below)
      const want = pmx.canonicalEncode([g.peer_id, g.endpoint_type, g.links, g.endpoint_params]);
      const got = pmx.canonicalEncode([e.peer_id, e.endpoint_type, e.links ?? [], e.endpoint_params]);
      if (want !== got) throw new Error(`${g.endpoint_id} differs from the agreed graph`);
    }
    return `${graph.length} stages`;
  });
  const booth = eps.get(ids[0]);
  const boothIn = await messages(ids[0], 'ACCEPTED');
  published = boothIn.map((m) => trackerOf(m.text));
  $('#box-count').textContent = String(published.length);
  $('#box').replaceChildren(...published.map((t) => el('li', {}, t)));
  tick('ballots');
  let counted = 0;
  ok &= await check('Every ballot in the published ballot box carries a valid proof that it holds one of the options, for this election and round, and is signed with a credential on the voter list; none replays another; each voter\'s last ballot counts.', () => {
    const p = booth.endpoint_params;
    const seen = new Set();
    const last = new Map(); // credential -> index of its last ballot
    boothIn.forEach((m, i) => {
      let v;
      try {
        v = pmx.zeusVerifyBallot(p, m.text);
      } catch (e) {
        throw new Error(`ballot ${i + 1}: ${e.message ?? e}`);
      }
      const c1 = v.ciphertext.slice(0, 64);
      if (seen.has(c1)) throw new Error(`ballot ${i + 1} replays an earlier ballot`);
      seen.add(c1);
      last.set(v.credential, i);
    });
    counted = last.size;
    const lastIdx = new Set(last.values());
    superseded = new Set(published.filter((_, i) => !lastIdx.has(i)));
    const voters = (p.voters ?? []).length;
    return `${boothIn.length} ballots from ${counted} voters${voters ? ` (of ${voters} on the list)` : ''}` +
      `${superseded.size ? `; ${superseded.size} replaced by a later ballot of the same voter` : ''}`;
  });
  // each stage, in order: its input is its source's output, and its proof verifies
  let prevOut = null;
  const stage = async (id, label) => {
    const e = eps.get(id);
    const inputs = await messages(id, 'ACCEPTED');
    const outputs = await messages(id, 'OUTBOX');
    tick(label);
    const before = prevOut;
    prevOut = outputs; // the next stage is checked against what this one published
    return check(label, () => {
      if (before && !sameTexts(inputs, before)) throw new Error(`the input of ${id} is not the output of the previous stage`);
      try {
        pmx.verifyEndpoint(e, inputs, outputs, proofText(e.process_proof));
      } catch (err) {
        throw new Error(`${id}: ${err.message ?? err}`);
      }
      return `${id}: ${inputs.length} in, ${outputs.length} out`;
    });
  };
  ok &= await stage(ids[0], 'The ballot box\'s output (the ballots\' ciphertexts) recomputes from the accepted ballots.');
  const mixes = graph.filter((g) => /-mix\d+$/.test(g.endpoint_id)).map((g) => g.endpoint_id);
  const decrs = graph.filter((g) => /-decr\d+$/.test(g.endpoint_id)).map((g) => g.endpoint_id);
  for (const [i, id] of mixes.entries()) {
    ok &= await stage(id, `${apart ? 'Contributor' : 'Trustee'} ${i + 1}'s shuffle proof verifies: its output is a re-encryption of a permutation of its input, so no ballot was added, dropped or changed.`);
  }
  const lastMixOut = prevOut;
  const shares = [];
  const trusteeOf = new Map(); // a published partial decryption's text -> its trustee (1-based)
  for (const [i, id] of decrs.entries()) {
    prevOut = lastMixOut;
    if (t && eps.get(id)?.status !== 'PROCESSED') {
      // a threshold election: an absent trustee holds nothing up
      tick(`trustee ${i + 1} absent`);
      ok &= await check(`Trustee ${i + 1} published no partial decryption (absent at tally time): not needed, any ${t} trustees suffice.`, () => `${id}: ${eps.get(id)?.status ?? 'never made'}`);
      continue;
    }
    ok &= await stage(id, `Trustee ${i + 1}'s partial decryptions each carry a valid proof (Chaum–Pedersen) that they were made with the trustee's ${t ? 'verification key' : 'published key share'}.`);
    shares.push(...(prevOut ?? []));
    for (const m of prevOut ?? []) trusteeOf.set(m.text, i + 1);
  }
  if (t) {
    // the combination took the first t trustees' verified partial decryptions
    prevOut = null;
    const taken = await messages(combineId, 'ACCEPTED');
    tick('quorum');
    ok &= await check(`The combination took only verified partial decryptions, from at least ${t} trustees.`, () => {
      if (taken.some((m) => !trusteeOf.has(m.text))) throw new Error('the combination took a partial decryption that is not a verified, published one');
      const who = [...new Set(taken.map((m) => trusteeOf.get(m.text)))].sort((a, b) => a - b);
      if (who.length < t) throw new Error(`only ${who.length} trustees' partial decryptions, ${t} needed`);
      document.body.dataset.tallyTrustees = who.join(',');
      return `trustees ${who.join(', ')} (${who.length} of ${trusteeIds.length}; ${t} needed)`;
    });
  } else {
    prevOut = shares;
  }
  ok &= await stage(combineId, `The published plaintexts are exactly what ${t ? `${t} trustees'` : 'all the trustees\''} verified partial decryptions combine to.`);
  const out = await messages(combineId, 'OUTBOX');
  out.sort((a, b) => a.serial - b.serial);
  let outcomes = [];
  tick('tally');
  ok &= await check('The tally counts every decrypted ballot once, as many as there are voters\' counted ballots; a spoiled ballot (one that decrypts to no option) is counted apart, as invalid.', () => {
    outcomes = out.map((m) => pmx.zeusParseOutcome(m.text));
    if (outcomes.length !== counted) throw new Error(`${outcomes.length} decrypted ballots for ${counted} counted`);
    const bad = outcomes.filter((o) => o.spoiled || !election.options.includes(o.answer)).length;
    return `${outcomes.length} ballots counted${bad ? `, ${bad} spoiled or invalid` : ''}`;
  });
  const spoiled = renderTally(election, outcomes);
  document.body.dataset.spoiled = String(spoiled);
  ok &= await electionTranscript(graph, eps, boothIn, out, tick, Boolean(t));
  progressDone();
  $('#verdict').className = ok ? 'badge ok' : 'badge bad';
  $('#verdict').textContent = ok ? 'verified' : 'VERIFICATION FAILED';
  document.body.dataset.verified = ok ? 'passed' : 'failed';
  if (!ok) showError('At least one check failed: the published result cannot be trusted. See the failed steps below.');
  status(ok ? `All ${$('#checks').children.length} checks passed.` : 'Verification FAILED.');
  if ($('#find-tracker').value) find();
}

/**
 * The whole election as one file (the "panoramix/zeus/v2/election" transcript that
 * `panoramix verify-election` checks), assembled from what the mix-net published
 * and verified here by the same verifier; offered for download.
 */
async function electionTranscript(graph, eps, boothIn, outcomes, tick, threshold) {
  const ids = graph.map((g) => g.endpoint_id);
  const mixes = [];
  const shares = [];
  for (const id of ids) {
    if (/-mix\d+$/.test(id)) {
      const o = (await messages(id, 'OUTBOX')).sort((a, b) => a.serial - b.serial);
      mixes.push({ mixer: id, outputs: o.map((m) => m.text), proof: proofText(eps.get(id).process_proof) });
    } else if (/-decr\d+$/.test(id) && !threshold) {
      const o = (await messages(id, 'OUTBOX')).sort((a, b) => a.serial - b.serial);
      shares.push(...o.map((m) => m.text));
    }
  }
  if (threshold) shares.push(...(await messages(ids[ids.length - 1], 'ACCEPTED')).map((m) => m.text));
  tick('election transcript');
  return check('The whole election (definition and voter list, every ballot, every shuffle and its proof, every partial decryption and its proof, the tally) assembles into election.json, which verifies as `panoramix verify-election` checks it.', () => {
    transcript = null;
    $('#download-election').disabled = true;
    let text;
    try {
      text = pmx.zeusAssembleElection(eps.get(ids[0]).endpoint_params, boothIn.map((m) => m.text), mixes, shares, outcomes.map((m) => m.text));
      const report = pmx.zeusVerifyElection(text);
      transcript = text;
      const size = new TextEncoder().encode(text).length;
      $('#download-election').disabled = false;
      $('#transcript-result').textContent = `election.json (${Math.round(size / 1024)} KiB) verified: ${summary(report)}.`;
      document.body.dataset.transcript = 'verified';
      return `${mixes.length} shuffles, ${shares.length} partial decryptions, ${outcomes.length} plaintexts; ${summary(report)}`;
    } catch (e) {
      $('#transcript-result').textContent = `The election transcript does NOT verify: ${e.message ?? e}`;
      document.body.dataset.transcript = 'failed';
      throw e;
    }
  });
}

/** A fingerprint as the trustee pages show it: 32 hex digits of SHA-256, in groups of four. */
function fingerprint(hex) {
  return pmx.sha256Hex(new TextEncoder().encode(hex)).slice(0, 32).match(/..../g).join(' ');
}

/**
 * A threshold election's key generation as published: its three endpoints, their
 * agreed graph, their boxes, and its result (the key endpoint's output).
 */
async function keyGeneration(spec, joint, owners, trustees) {
  const graph = pmx.dkgGraph(spec, joint, owners, trustees.filter(Boolean));
  const stages = [];
  for (const g of graph) {
    const e = (await apiGet(`/panoramix/endpoints/${g.endpoint_id}/`)).data;
    stages.push({ g, e, inputs: await messages(g.endpoint_id, 'ACCEPTED'), outputs: await messages(g.endpoint_id, 'OUTBOX') });
  }
  const last = stages[stages.length - 1];
  if (last.e.status !== 'PROCESSED' || last.outputs.length !== 1) throw new Error('the key generation has no result');
  return { stages, key: JSON.parse(last.outputs[0].text) };
}

/** Check the key generation: the key shares' proofs, each stage against its graph and its proofs. */
function verifyKeyGeneration(dkg, peers) {
  const keys = peers.map((p) => p.crypto_params.trustee_key);
  pmx.zeusCombineTrusteeKeys(pmx.TRUSTEE_KEY_SESSION, keys); // checks every proof of knowledge
  for (const { g, e, inputs, outputs } of dkg.stages) {
    const want = pmx.canonicalEncode([g.peer_id, g.endpoint_type, g.links, g.endpoint_params]);
    const got = pmx.canonicalEncode([e.peer_id, e.endpoint_type, e.links ?? [], e.endpoint_params]);
    if (want !== got) throw new Error(`${g.endpoint_id} differs from the agreed key generation`);
    try {
      pmx.verifyEndpoint(e, inputs, outputs, proofText(e.process_proof));
    } catch (err) {
      throw new Error(`${g.endpoint_id}: ${err.message ?? err}`);
    }
  }
  const k = dkg.key;
  const dq = k.disqualified.length ? `; disqualified: ${k.disqualified.map(([j, why]) => `trustee ${j} (${why})`).join('; ')}` : '';
  return `${keys.length} trustees, key fingerprints (as shown on their pages): ${keys.map((x) => fingerprint(x.public_key)).join('; ')}; ` +
    `${k.qualified.length} qualified${dq}; election key ${fingerprint(k.election_public_key)}`;
}

/** A line from the verifier's report (whatever fields it has). */
function summary(report) {
  if (!report || typeof report !== 'object') return 'valid';
  const parts = Object.entries(report)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
  return parts.length ? parts.join(', ') : 'valid';
}

$('#download-election').addEventListener('click', () => {
  if (transcript) download('election.json', transcript);
});

function find() {
  const t = $('#find-tracker').value.trim().toLowerCase();
  if (!t) return;
  const i = published.indexOf(t);
  $('#find-result').textContent = i < 0
    ? published.length ? 'Not found in the published ballot box.' : 'The ballot box is not published yet.'
    : superseded.has(t)
      ? `Found: ballot number ${i + 1} of ${published.length} in the published ballot box; the same voter cast a later ballot, which replaced it (only a voter's last ballot counts).`
      : `Found: your ballot is number ${i + 1} of ${published.length} in the published ballot box, and the verified tally counts it.`;
  document.body.dataset.found = i >= 0 ? 'yes' : 'no';
}

$('#find-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  find();
});
$('#find-tracker').value = params.get('tracker') ?? '';
main().catch((e) => {
  progressDone();
  showError(explain(e));
});
