// The voting booth. The voter's secret credential (from the booth link's fragment
// `#credential=`, which never reaches a server, or typed in) must be on the
// election's voter list: otherwise the booth refuses before encrypting anything.
// Then three screens: choose; review the encrypted (not yet cast) ballot with its
// tracker, where the voter may cast it or audit it (Benaloh challenge: the ballot
// is opened, its randomness revealed and checked by the WebAssembly code, and it
// can never be cast: the voter starts again with a fresh encryption); cast,
// confirmed. Ballots are encrypted under the election key with a proof that they
// hold one of the options, signed with the credential, for the open round.
import { $, el, pmx, params, connect, explain, showError, clearError, status, sleep, findMixnet, apiList, pageLink, download, progress, progressDone, short } from './common.js';

const name = params.get('election') ?? params.get('mixnet') ?? 'election1';
const STEP = { choose: 1, review: 2, audit: 2, cast: 3 };
let client;
let joint;
let election;
let voter = null; // {secret, credential}
let ballot = null; // {cycle, choice, prepared, params}
let audited = null; // the audit data of the last opened ballot

function screen(which) {
  for (const s of ['credential', 'choose', 'review', 'audit', 'cast']) $(`#screen-${s}`).hidden = s !== which;
  for (let i = 1; i <= 3; i++) {
    const li = $(`#step-${i}`);
    if (STEP[which] === i) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
  document.body.dataset.screen = String(STEP[which] && which !== 'audit' ? STEP[which] : which);
  const h = { credential: '#credential-h', choose: '#question', review: '#review-h', audit: '#audit-h', cast: '#cast-h' }[which];
  $(h).setAttribute('tabindex', '-1');
  $(h).focus();
}

/** The voter list the trustees signed (the joint peer's election definition). */
const voterList = () => election.voters ?? [];

/**
 * Take a secret credential: refuse it (clearly, before anything is encrypted) when
 * it is not a credential or its public part is not on the voter list.
 */
function useCredential(secret) {
  const refuse = (why) => {
    voter = null;
    $('#voter').hidden = true;
    $('#credential-refused').hidden = false;
    $('#credential-refused').textContent = why;
    document.body.dataset.eligible = 'no';
    status('You cannot vote with this credential.');
    screen('credential');
  };
  let credential;
  try {
    credential = pmx.zeusVoterCredential(secret.trim().toLowerCase());
  } catch {
    refuse('This is not a voter credential (64 hex digits, as the organiser gave it). Nothing was encrypted or cast.');
    return false;
  }
  const list = voterList();
  if (list.length && !list.includes(credential)) {
    refuse(`This credential (public part ${short(credential)}) is NOT on the voter list of the election ${name}: ` +
      'you cannot vote with it. Nothing was encrypted or cast. Check the link or the credential the organiser gave you.');
    return false;
  }
  voter = { secret: secret.trim().toLowerCase(), credential };
  $('#credential-refused').hidden = true;
  $('#voter').hidden = false;
  $('#voter-credential').textContent = short(credential);
  document.body.dataset.eligible = 'yes';
  return true;
}

/** The round whose ballot box is open, and its endpoint (its parameters are what the box checks). */
async function openBooth() {
  const list = await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(joint.peer_id)}`);
  for (let c = 1; ; c++) {
    const ep = list.find((e) => e.endpoint_id === `${joint.crypto_params.name}-${c}-booth`);
    if (!ep) return null;
    if (ep.status === 'OPEN' && (ep.inbox_count ?? 0) < ep.size_max) return { cycle: c, ep };
  }
}

$('#credential-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  clearError();
  if (useCredential($('#credential').value)) {
    $('#credential').value = '';
    status(`Election ${name}: you are on the voter list.`);
    screen('choose');
  }
});

$('#choose-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearError();
  const choice = document.querySelector('input[name=choice]:checked')?.value;
  if (!choice) {
    showError('Choose one option first.');
    return;
  }
  if (!voter) {
    screen('credential');
    return;
  }
  try {
    progress('finding the open ballot box');
    let open = await openBooth();
    while (!open) {
      status('The ballot box is not open yet; waiting for the trustees…');
      await sleep(400);
      open = await openBooth();
    }
    const p = open.ep.endpoint_params;
    // the box's own voter list decides: refuse before encrypting
    if ((p.voters ?? []).length && !p.voters.includes(voter.credential)) {
      progressDone();
      showError(`Your credential is not on the voter list of round ${open.cycle}'s ballot box: nothing was encrypted or cast.`);
      document.body.dataset.eligible = 'no';
      return;
    }
    progress('encrypting your ballot and proving it holds one of the options');
    await sleep(0);
    const prepared = pmx.zeusPrepareBallot(voter.secret, p, choice);
    ballot = { cycle: open.cycle, choice, prepared, params: p };
    progressDone();
    $('#review-choice').textContent = choice;
    $('#tracker').textContent = prepared.tracker;
    $('#cast').hidden = false;
    $('#cast').disabled = false;
    status(`Ballot encrypted for round ${open.cycle}; not cast yet.`);
    screen('review');
  } catch (e) {
    progressDone();
    showError(explain(e));
  }
});

function discard() {
  try {
    ballot?.prepared.free();
  } catch {
    /* already wiped */
  }
  ballot = null;
}

$('#back').addEventListener('click', () => {
  discard(); // a fresh encryption is made for the next choice
  status('Ballot discarded. Choose again.');
  screen('choose');
});
$('#copy-tracker').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(ballot.prepared.tracker);
    status('Tracker copied.');
  } catch {
    status('Copying is not allowed here; select the tracker and copy it by hand.');
  }
});
$('#download-tracker').addEventListener('click', () =>
  download(`ballot-tracker-${name}.txt`, `election ${name}, round ${ballot.cycle}\ntracker ${ballot.prepared.tracker}\n`));

// Benaloh challenge: open the ballot, check it, never cast it
$('#audit').addEventListener('click', () => {
  clearError();
  const b = ballot;
  if (!b) return;
  ballot = null; // whatever happens next, this ballot is spent
  $('#cast').hidden = true;
  try {
    const a = b.prepared.audit();
    // an independent check of the opening, from the published text and the randomness alone
    const opened = pmx.zeusAuditBallot(b.params, b.prepared.text, a.randomness);
    const honest = a.ok && opened === b.choice && a.answer === b.choice;
    audited = {
      kind: 'panoramix-ballot-audit',
      election: name,
      round: b.cycle,
      params: b.params,
      ballot: b.prepared.text,
      tracker: b.prepared.tracker,
      credential: b.prepared.credential,
      randomness: a.randomness,
      answer: opened,
      chosen: b.choice,
      check: honest ? 'the ballot opens to the chosen answer' : 'MISMATCH: the ballot does not open to the chosen answer',
    };
    $('#audit-verdict').replaceChildren(honest
      ? el('span', { class: 'cast' }, 'Checked: this ballot encrypts ', el('strong', {}, opened),
        ', your choice. (This page\'s WebAssembly code recomputed the encryption from the revealed randomness, and checked the ballot\'s proofs.)')
      : el('span', { class: 'error' }, `WARNING: this ballot opens to "${opened}", not to your choice "${b.choice}". This booth is not honest: do not vote with it, and report it.`));
    $('#audit-tracker').textContent = b.prepared.tracker;
    $('#audit-randomness').textContent = a.randomness;
    document.body.dataset.audit = honest ? 'ok' : 'mismatch';
    document.body.dataset.audited = String(Number(document.body.dataset.audited ?? 0) + 1);
    status('Ballot opened for audit; it cannot be cast. Start again to vote.');
  } catch (e) {
    audited = null;
    $('#audit-verdict').replaceChildren(el('span', { class: 'error' }, `The opened ballot does NOT check: ${explain(e)}. Do not vote with this booth.`));
    document.body.dataset.audit = 'failed';
  } finally {
    try {
      b.prepared.free();
    } catch {
      /* already wiped */
    }
  }
  screen('audit');
});
$('#download-audit').addEventListener('click', () => {
  if (audited) download(`ballot-audit-${name}-${audited.tracker.slice(0, 8)}.json`, JSON.stringify(audited, null, 1));
});
$('#again').addEventListener('click', () => {
  for (const r of document.querySelectorAll('input[name=choice]')) r.checked = false;
  status('Choose again: your ballot will be encrypted afresh.');
  screen('choose');
});

$('#cast').addEventListener('click', async () => {
  clearError();
  const b = ballot;
  if (!b || b.prepared.audited) {
    showError('This ballot cannot be cast: it was opened for audit. Start again.');
    return;
  }
  $('#cast').disabled = true;
  try {
    progress('casting');
    const text = b.prepared.castText(); // throws for an opened ballot
    await client.postMessage(`${joint.crypto_params.name}-${b.cycle}-booth`, 'INBOX', client.id, joint.peer_id, text);
    progressDone();
    $('#cast-round').textContent = String(b.cycle);
    $('#cast-tracker').textContent = b.prepared.tracker;
    $('#results-link').href = pageLink('results.html', { election: name, cycle: b.cycle, tracker: b.prepared.tracker });
    document.body.dataset.tracker = b.prepared.tracker;
    discard();
    status('Your ballot was cast.');
    screen('cast');
  } catch (e) {
    progressDone();
    showError(e.status === 429
      ? 'This round\'s ballot box is full; your ballot was NOT cast. Go back and encrypt again for the next round.'
      : `Your ballot was NOT cast: ${explain(e)}`);
  } finally {
    $('#cast').disabled = false;
  }
});

/** The credential in the page's fragment, removed from the address bar (and history). */
function credentialFromFragment() {
  const h = new URLSearchParams(location.hash.slice(1));
  const c = h.get('credential');
  if (c !== null) history.replaceState(null, '', location.pathname + location.search);
  return c;
}

try {
  const fromLink = credentialFromFragment();
  progress('loading the cryptography and connecting');
  client = await connect();
  joint = await findMixnet(name);
  while (!joint) {
    status(`The election ${name} does not exist yet: waiting for its trustees…`);
    await sleep(500);
    joint = await findMixnet(name);
  }
  if (joint.crypto_params?.backend !== 'ZEUS') throw new Error(`${name} is not an election`);
  election = joint.crypto_params.election ?? { question: 'Your vote', options: ['yes', 'no'], voters: [] };
  $('#question').textContent = election.question;
  election.options.forEach((o, i) => {
    $('#options').append(el('label', {}, el('input', { type: 'radio', name: 'choice', value: o, id: `opt-${i}`, required: i === 0 }), o));
  });
  progressDone();
  const n = voterList().length;
  status(`Election ${name}: ${joint.owners.length} trustees, ${n ? `${n} voters on the list` : 'no voter list (anyone may vote)'}.`);
  document.body.dataset.ready = '1';
  if (fromLink !== null) {
    if (useCredential(fromLink)) screen('choose');
  } else if (n === 0) {
    // an open poll: a one-time credential made here signs this browser's ballots
    const k = pmx.zeusVoterKeygen();
    useCredential(k.secret);
    screen('choose');
  } else {
    status(`Election ${name}: enter the credential you received to vote.`);
    screen('credential');
  }
} catch (e) {
  progressDone();
  showError(explain(e));
}
