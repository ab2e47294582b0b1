// The voting booth, in three screens: choose; review the encrypted (not yet cast)
// ballot with its tracker; cast, confirmed. The ballot is encrypted in the
// browser under the election key, with a proof of knowledge bound to the round.
import { $, el, pmx, params, connect, explain, showError, clearError, status, sleep, findMixnet, apiList, pageLink, download, progress, progressDone } from './common.js';

const name = params.get('election') ?? params.get('mixnet') ?? 'election1';
let client;
let sender;
let election;
let ballot = null;

function screen(n) {
  ['choose', 'review', 'cast'].forEach((s, i) => {
    $(`#screen-${s}`).hidden = i + 1 !== n;
    const li = $(`#step-${i + 1}`);
    if (i + 1 === n) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  });
  document.body.dataset.screen = String(n);
  const h = n === 1 ? $('#question') : n === 2 ? $('#review-h') : $('#cast-h');
  h.setAttribute('tabindex', '-1');
  h.focus();
}

/** The round whose ballot box is open. */
async function openRound() {
  const list = await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(sender.joint)}`);
  for (let c = 1; ; c++) {
    const ep = list.find((e) => e.endpoint_id === sender.ids(c).entry);
    if (!ep) return null;
    if (ep.status === 'OPEN' && (ep.inbox_count ?? 0) < ep.size_max) return c;
  }
}

const trackerOf = (text) => pmx.sha256Hex(new TextEncoder().encode(text));

$('#choose-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearError();
  const choice = document.querySelector('input[name=choice]:checked')?.value;
  if (!choice) {
    showError('Choose one option first.');
    return;
  }
  try {
    progress('finding the open ballot box');
    let c = await openRound();
    while (!c) {
      status('The ballot box is not open yet; waiting for the trustees…');
      await sleep(400);
      c = await openRound();
    }
    progress('encrypting your ballot and proving it is well formed');
    await sleep(0);
    const m = sender.encrypt(c, null, choice);
    ballot = { cycle: c, choice, text: m.text, recipient: m.recipient, tracker: trackerOf(m.text) };
    progressDone();
    $('#review-choice').textContent = choice;
    $('#tracker').textContent = ballot.tracker;
    status(`Ballot encrypted for round ${c}; not cast yet.`);
    screen(2);
  } catch (e) {
    progressDone();
    showError(explain(e));
  }
});

$('#back').addEventListener('click', () => {
  ballot = null; // discarded: a fresh encryption is made for the next choice
  status('Ballot discarded. Choose again.');
  screen(1);
});
$('#copy-tracker').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(ballot.tracker);
    status('Tracker copied.');
  } catch {
    status('Copying is not allowed here; select the tracker and copy it by hand.');
  }
});
$('#download-tracker').addEventListener('click', () =>
  download(`ballot-tracker-${name}.txt`, `election ${name}, round ${ballot.cycle}\ntracker ${ballot.tracker}\n`));

$('#cast').addEventListener('click', async () => {
  clearError();
  $('#cast').disabled = true;
  try {
    progress('casting');
    await client.postMessage(sender.ids(ballot.cycle).entry, 'INBOX', client.id, ballot.recipient, ballot.text);
    progressDone();
    $('#cast-round').textContent = String(ballot.cycle);
    $('#cast-tracker').textContent = ballot.tracker;
    $('#results-link').href = pageLink('results.html', { election: name, cycle: ballot.cycle, tracker: ballot.tracker });
    document.body.dataset.tracker = ballot.tracker;
    status('Your ballot was cast.');
    screen(3);
  } catch (e) {
    progressDone();
    showError(e.status === 429
      ? 'This round\'s ballot box is full; your ballot was NOT cast. Go back and encrypt again for the next round.'
      : `Your ballot was NOT cast: ${explain(e)}`);
  } finally {
    $('#cast').disabled = false;
  }
});

try {
  progress('loading the cryptography and connecting');
  client = await connect();
  let joint = await findMixnet(name);
  while (!joint) {
    status(`The election ${name} does not exist yet: waiting for its trustees…`);
    await sleep(500);
    joint = await findMixnet(name);
  }
  if (joint.crypto_params?.backend !== 'ZEUS') throw new Error(`${name} is not an election`);
  election = joint.crypto_params.election ?? { question: 'Your vote', options: ['yes', 'no'] };
  sender = await pmx.MixnetSender.open(client, joint.peer_id);
  $('#question').textContent = election.question;
  election.options.forEach((o, i) => {
    $('#options').append(el('label', {}, el('input', { type: 'radio', name: 'choice', value: o, id: `opt-${i}`, required: i === 0 }), o));
  });
  progressDone();
  status(`Election ${name}: ${joint.owners.length} trustees.`);
  document.body.dataset.ready = '1';
  screen(1);
} catch (e) {
  progressDone();
  showError(explain(e));
}
