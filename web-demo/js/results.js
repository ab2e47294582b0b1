// The result page: waits for the tally, then verifies the whole election in the
// browser (key shares, every ballot's proof, every shuffle proof, every partial
// decryption proof, the combination), listing each check as a numbered step.
import { $, el, pmx, params, explain, showError, status, sleep, findMixnet, apiGet, apiList, ownersOf, progress, progressDone, short } from './common.js';
import { cycleGraph } from './agent.js';

const name = params.get('election') ?? params.get('mixnet') ?? 'election1';
const cycle = Number(params.get('cycle') ?? 1);
let published = [];

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

function renderTally(election, votes) {
  const counts = new Map(election.options.map((o) => [o, 0]));
  for (const v of votes) counts.set(v, (counts.get(v) ?? 0) + 1);
  const total = votes.length || 1;
  $('#tally').replaceChildren(...[...counts].map(([o, n]) => el('tr', { 'data-option': o, 'data-votes': n },
    el('th', { scope: 'row' }, o), el('td', {}, String(n)),
    el('td', {}, el('div', { class: 'bar', style: null, 'aria-hidden': 'true', 'data-w': Math.round((100 * n) / total) })))));
  for (const b of document.querySelectorAll('.bar')) b.style.width = `${b.dataset.w}%`;
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
  const peers = [];
  for (const o of owners) peers.push((await apiGet(`/panoramix/peers/${o}/`)).data);
  const trustees = peers.map((p) => p.crypto_params?.trustee_key?.public_key ?? '');
  const graph = cycleGraph(spec, joint.peer_id, owners, trustees, cycle);
  const ids = graph.map((g) => g.endpoint_id);
  const combineId = ids[ids.length - 1];
  // wait for the combination
  for (;;) {
    const eps = await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(joint.peer_id)}`);
    const booth = eps.find((e) => e.endpoint_id === ids[0]);
    const combine = eps.find((e) => e.endpoint_id === combineId);
    if (combine?.status === 'PROCESSED') break;
    const s = !booth ? 'the ballot box is being set up' : booth.status === 'OPEN'
      ? `ballots cast: ${booth.inbox_count} of ${booth.size_min} needed to close the ballot box`
      : 'the ballot box is closed; the trustees are mixing and decrypting';
    status(`Round ${cycle}: ${s}.`);
    progress(s, booth?.status === 'OPEN' ? booth.inbox_count : undefined, booth?.size_min);
    await sleep(800);
  }
  status('The tally is published. Verifying it in this browser…');
  const eps = new Map();
  for (const id of ids) eps.set(id, (await apiGet(`/panoramix/endpoints/${id}/`)).data);
  const steps = 4 + 2 * owners.length + 1;
  let n = 0;
  const tick = (label) => progress(label, ++n, steps);
  let ok = true;
  tick('election key');
  ok &= await check('The election key is the sum of the trustees\' published key shares, and each share comes with a valid proof that its trustee knows the secret.', () => {
    const keys = peers.map((p) => p.crypto_params.trustee_key);
    const k = pmx.zeusCombineTrusteeKeys(pmx.TRUSTEE_KEY_SESSION, keys);
    if (k !== spec.election_public_key) throw new Error('the election key does not recompute from the trustees\' shares');
    const fp = (pub) => pmx.sha256Hex(new TextEncoder().encode(pub)).slice(0, 32).match(/..../g).join(' ');
    return `${owners.length} trustees, key fingerprints (as shown on their pages): ${keys.map((t) => fp(t.public_key)).join('; ')}; election key ${short(k)}`;
  });
  tick('endpoint graph');
  ok &= await check('The round\'s stages (ballot box, mixes, partial decryptions, combination) are the ones the trustees agreed on, with the agreed owners, links and parameters.', () => {
    for (const g of graph) {
      const e = eps.get(g.endpoint_id);
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
  ok &= await check('Every ballot in the published ballot box carries a valid proof that it was made for this election and round, and no ballot appears twice.', () => {
    const seen = new Set();
    for (const m of boothIn) {
      const ct = pmx.zeusVerifyBallot(booth.endpoint_params.session_id, booth.endpoint_params.election_public_key, m.text);
      if (seen.has(ct)) throw new Error('a ballot appears twice');
      seen.add(ct);
    }
    return `${boothIn.length} ballots`;
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
    ok &= await stage(id, `Trustee ${i + 1}'s shuffle proof verifies: its output is a re-encryption of a permutation of its input, so no ballot was added, dropped or changed.`);
  }
  const lastMixOut = prevOut;
  const shares = [];
  for (const [i, id] of decrs.entries()) {
    prevOut = lastMixOut;
    ok &= await stage(id, `Trustee ${i + 1}'s partial decryptions each carry a valid proof (Chaum–Pedersen) that they were made with the trustee's published key share.`);
    shares.push(...(prevOut ?? []));
  }
  prevOut = shares;
  ok &= await stage(combineId, 'The published plaintexts are exactly what all the trustees\' verified partial decryptions combine to.');
  const out = await messages(combineId, 'OUTBOX');
  out.sort((a, b) => a.serial - b.serial);
  const votes = out.map((m) => new TextDecoder().decode(new Uint8Array((m.text.match(/../g) ?? []).map((h) => parseInt(h, 16)))));
  tick('tally');
  ok &= await check('The tally counts every decrypted ballot once, and there are as many as accepted ballots.', () => {
    if (votes.length !== boothIn.length) throw new Error(`${votes.length} decrypted ballots for ${boothIn.length} cast`);
    const bad = votes.filter((v) => !election.options.includes(v));
    return `${votes.length} ballots counted${bad.length ? `, ${bad.length} invalid (not one of the options)` : ''}`;
  });
  renderTally(election, votes);
  progressDone();
  $('#verdict').className = ok ? 'badge ok' : 'badge bad';
  $('#verdict').textContent = ok ? 'verified' : 'VERIFICATION FAILED';
  document.body.dataset.verified = ok ? 'passed' : 'failed';
  if (!ok) showError('At least one check failed: the published result cannot be trusted. See the failed steps below.');
  status(ok ? `All ${$('#checks').children.length} checks passed.` : 'Verification FAILED.');
  if ($('#find-tracker').value) find();
}

function find() {
  const t = $('#find-tracker').value.trim().toLowerCase();
  if (!t) return;
  const i = published.indexOf(t);
  $('#find-result').textContent = i >= 0
    ? `Found: your ballot is number ${i + 1} of ${published.length} in the published ballot box, and the verified tally counts every ballot in it.`
    : published.length ? 'Not found in the published ballot box.' : 'The ballot box is not published yet.';
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
