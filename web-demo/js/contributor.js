// The contributor page: makes the keys, lets a contributor save and check them (a
// trustee must: it cannot join before its key share is saved and read back), forms
// the mix-net with the other contributors, then runs the agent in a Web Worker. For
// an election it also takes (or generates) the voter list and offers the secret
// voter credentials for distribution.
import { $, el, pmx, params, connect, ownersOf, controllerUrl, explain, showError, clearError, status, pageLink, download, progress, progressDone } from './common.js';
import { formMixnet } from './formation.js';
import { electionDefinition, parseVoters, generateCredentials, boothLink, credentialsFile, voterListFile } from './election-def.js';
import { parseThreshold, showThresholdCard, watchThreshold } from './threshold.js';

const name = $('#name');
const backend = $('#backend');
name.value = params.get('mixnet') ?? params.get('room') ?? params.get('election') ?? 'room1';
backend.value = params.get('backend') === 'ZEUS' ? 'ZEUS' : 'SPHINXMIX';
if (params.get('count')) $('#count').value = params.get('count');
if (params.get('size')) $('#size').value = params.get('size');
// max: the entry endpoint's size_max (it closes at `size` admissible messages, and
// takes at most `max`: room above `size` keeps a round going when some messages,
// e.g. ballots of credentials not on the list, are refused)
if (params.get('max')) $('#size-max').value = params.get('max');
if (params.get('question')) $('#question').value = params.get('question');
if (params.get('options')) $('#options').value = params.get('options');
if (params.get('threshold')) $('#threshold').value = params.get('threshold');
if (params.get('trustees')) $('#trustees').value = params.get('trustees');
if (params.get('role') === 'trustee') $('#role').value = 'trustee';
if (params.get('voters')) $('#voters').value = params.get('voters').split(',').join('\n');
if (params.get('native') === '1') $('#run-here').checked = false;

let keys = null;
let keyChecked = false; // the saved key file was read back and holds this page's keys
let joining = false;
const zeus = () => backend.value === 'ZEUS';
/** A threshold election's trustee page (its trustees are apart from the contributors). */
const trusteeRole = () => zeus() && $('#threshold').value.trim() !== '' && $('#role').value === 'trustee';

/** Joining needs, for a trustee, the key share saved and read back. */
function updateJoin() {
  const gate = zeus() && !keyChecked;
  $('#key-gate').hidden = !zeus() || keyChecked;
  $('#join').disabled = joining || gate;
  $('#join').title = gate ? 'Save your key file and load it back first' : '';
  document.body.dataset.canJoin = gate || joining ? '0' : '1';
}

/** A fingerprint people can compare: 32 hex digits of SHA-256, in groups of four. */
function fingerprint(publicKey) {
  return pmx.sha256Hex(new TextEncoder().encode(publicKey)).slice(0, 32).match(/..../g).join(' ');
}

function makeKeys() {
  const identity = pmx.generateKeypair();
  if (backend.value === 'ZEUS') {
    const t = pmx.zeusTrusteeKeygen();
    const published = pmx.zeusPublishTrusteeKey(t.secret, pmx.TRUSTEE_KEY_SESSION);
    keys = { identity, secrets: { trustee: t.secret }, publicKey: published.public_key,
      cryptoParams: { trustee_key: published } };
  } else {
    const m = pmx.sphinxKeygen();
    keys = { identity, secrets: { mix: m.secret }, publicKey: m.publicKey, cryptoParams: { mix_key: m.publicKey } };
  }
  $('#fingerprint').textContent = fingerprint(keys.publicKey);
  $('#key-loss').textContent = backend.value === 'ZEUS'
    ? 'As a trustee, your key share is needed to count the votes: if it is lost before the tally, the election cannot be counted.'
    : 'Your mix key peels your layer of every message: if it is lost, the mix-net stops until it is reconfigured without you.';
  $('#election-fields').hidden = backend.value !== 'ZEUS';
  keyChecked = false;
  delete document.body.dataset.keyCheck;
  $('#check-result').textContent = '';
  $('#check-key').value = '';
  updateJoin();
}

let jointId = null;

/** The key file: also a configuration file for the native `panoramix contribute`. */
function keyFile() {
  const f = { kind: 'panoramix-contributor-key', BACKEND: backend.value, KEY: keys.identity.secret,
    CATALOG_URL: controllerUrl(), public_key: keys.publicKey, fingerprint: fingerprint(keys.publicKey) };
  if (keys.secrets.trustee) f.TRUSTEE_KEY = keys.secrets.trustee;
  if (keys.secrets.mix) f.MIX_KEY = keys.secrets.mix;
  if (jointId) f.MIXNET = jointId;
  return JSON.stringify(f, null, 1);
}

const keyFileName = () => `panoramix-${name.value}-${keys.identity.keyId.slice(0, 8)}.json`;

$('#save-key').addEventListener('click', () => download(keyFileName(), keyFile()));
$('#save-config').addEventListener('click', () => download(keyFileName(), keyFile()));
$('#check-key').addEventListener('change', async (ev) => {
  const f = ev.target.files?.[0];
  if (!f) return;
  try {
    const saved = JSON.parse(await f.text());
    const pub = saved.TRUSTEE_KEY ? pmx.zeusTrusteePublicKey(saved.TRUSTEE_KEY) : pmx.sphinxKeyFromSecret(saved.MIX_KEY).publicKey;
    const ok = pub === keys.publicKey && saved.KEY === keys.identity.secret;
    $('#check-result').textContent = ok
      ? `The saved copy is correct: it holds this contributor's keys (fingerprint ${fingerprint(pub)}).`
      : 'This file does NOT hold the keys of this page. Save the key again.';
    keyChecked = ok;
  } catch (e) {
    $('#check-result').textContent = `This file is not a readable key file: ${e.message}`;
    keyChecked = false;
  }
  document.body.dataset.keyCheck = keyChecked ? 'ok' : 'bad';
  updateJoin();
  if (keyChecked && params.get('auto') === '1' && !joining) join();
});

// ---------------------------------------------------------------- voter list
let creds = null; // the secret credentials this page generated (never stored)

function votersChanged() {
  const out = $('#voters-summary');
  try {
    const v = parseVoters($('#voters').value);
    out.textContent = v.length ? `${v.length} eligible voter${v.length === 1 ? '' : 's'} on the list.` : 'No voter list yet.';
    out.className = '';
    document.body.dataset.voters = String(v.length);
    if (creds && v.join() !== creds.map((c) => c.credential).join()) {
      // the list was edited: the generated credentials no longer describe it
      creds = null;
      $('#credentials').hidden = true;
    }
  } catch (e) {
    out.textContent = e.message;
    out.className = 'error';
    delete document.body.dataset.voters;
  }
}

function showCredentials() {
  const def = { question: $('#question').value.trim(), options: $('#options').value.split(',').map((s) => s.trim()).filter(Boolean) };
  const voters = creds.map((c) => c.credential);
  const trusteeLink = new URL(pageLink('contributor.html', {
    mixnet: name.value, backend: 'ZEUS', count: $('#count').value, size: $('#size').value, max: $('#size-max').value.trim() || undefined,
    question: def.question, options: def.options.join(','), voters: voters.join(','),
    threshold: $('#threshold').value.trim() || undefined,
    trustees: $('#threshold').value.trim() ? $('#trustees').value.trim() : undefined,
    role: $('#threshold').value.trim() ? 'trustee' : undefined,
  }), location.href);
  $('#trustee-link').textContent = trusteeLink.href;
  // a threshold election: the trustees are apart from the contributors, who shuffle
  $('#mixer-link-row').hidden = !$('#threshold').value.trim();
  trusteeLink.searchParams.set('role', 'mixer');
  $('#mixer-link').textContent = trusteeLink.href;
  $('#link-count').textContent = String(creds.length);
  $('#booth-links').replaceChildren(...creds.map((c, i) => el('li', {}, el('a', { href: boothLink(name.value, c.secret), 'data-voter': i + 1 }, `voter ${i + 1}`))));
  $('#credentials').hidden = false;
  $('#download-credentials').onclick = () => download(`voter-credentials-${name.value}.json`, credentialsFile(name.value, def, creds));
  $('#download-voters').onclick = () => download(`voter-list-${name.value}.json`, voterListFile(name.value, voters));
}

$('#gen-credentials').addEventListener('click', () => {
  clearError();
  try {
    creds = generateCredentials(Number($('#voter-count').value.trim()));
    $('#voters').value = creds.map((c) => c.credential).join('\n');
    votersChanged();
    showCredentials();
    document.body.dataset.credentials = String(creds.length);
  } catch (e) {
    showError(explain(e));
  }
});
$('#voters').addEventListener('input', votersChanged);
$('#voters-file').addEventListener('change', async (ev) => {
  const f = ev.target.files?.[0];
  if (!f) return;
  try {
    $('#voters').value = parseVoters(await f.text()).join('\n');
    votersChanged();
  } catch (e) {
    showError(`The voter list file cannot be used: ${e.message}`);
  }
});

let lastEvent = '';
function logEvent(text) {
  if (text === lastEvent) return;
  lastEvent = text;
  const list = $('#events');
  list.append(el('li', {}, `${new Date().toLocaleTimeString()} ${text}`));
  while (list.children.length > 200) list.firstChild.remove();
  list.scrollTop = list.scrollHeight;
}

async function join() {
  clearError();
  if (joining) return;
  if (zeus() && !keyChecked) {
    showError('Save your key file and load it back before joining: without the key share the election cannot be counted.');
    return;
  }
  let election;
  let threshold = null;
  let trustees = null;
  try {
    election = zeus() ? electionDefinition($('#question').value, $('#options').value, $('#voters').value) : undefined;
    if (zeus() && $('#threshold').value.trim()) {
      trustees = parseTrustees($('#trustees').value);
      threshold = parseThreshold($('#threshold').value, trustees);
    }
  } catch (e) {
    showError(`The election cannot be formed: ${e.message}.`);
    return;
  }
  joining = true;
  updateJoin();
  for (const i of document.querySelectorAll('#setup input, #setup select, #setup textarea, #setup button, #run-here')) i.disabled = true;
  try {
    const client = await connect(keys.identity.secret);
    const count = parseInt($('#count').value, 10);
    const size = parseInt($('#size').value, 10);
    const sizeMax = $('#size-max').value.trim() ? parseInt($('#size-max').value, 10) : size;
    if (!(size >= 1 && sizeMax >= size)) throw new Error('"at most per round" must be at least the number of messages per round');
    progress('forming the mix-net');
    const joint = await formMixnet(keys.identity.secret, controllerUrl(), {
      name: name.value, backend: backend.value, count, sizeMin: size, sizeMax,
      terms: 'panoramix web demo', cryptoParams: keys.cryptoParams, election, threshold,
      trustees: trustees ?? undefined, role: trusteeRole() ? 'trustee' : 'mixer',
      onProgress: (t) => { status(t); logEvent(t); },
    });
    progressDone();
    $('#view-link').href = pageLink('mixnet.html', { mixnet: name.value });
    status(`Contributing to ${name.value} (mix-net ${joint.peer_id.slice(0, 12)}…) as contributor ${client.id.slice(0, 8)}.`);
    jointId = joint.peer_id;
    document.body.dataset.joint = jointId;
    document.body.dataset.joined = '1';
    if (threshold) {
      // a threshold election: follow the key generation, then the tally
      showThresholdCard(threshold, trustees);
      watchThreshold(joint.crypto_params, joint.peer_id, ownersOf(joint), client.id, threshold)
        .catch((e) => logEvent(`threshold view: ${e.message ?? e}`));
    }
    if (!$('#run-here').checked) {
      $('#native').hidden = false;
      $('#native-command').textContent = `panoramix contribute --config ${keyFileName()} --url ${controllerUrl()}`;
      status(`The mix-net ${name.value} is formed. Run this contributor natively (below).`);
      $('#busy').textContent = 'not used';
      return;
    }
    const worker = new Worker(new URL('./agent-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'event') {
        logEvent(m.text);
        if (m.text.startsWith('processed')) document.body.dataset.processed = String(Number(document.body.dataset.processed ?? 0) + 1);
        if (m.text.startsWith('REFUSED')) showError(`This contributor refused to co-sign: ${m.text}`);
      } else if (m.type === 'busy') {
        $('#busy').textContent = m.busy ? 'working' : 'idle';
        $('#busy').className = m.busy ? 'badge wait' : 'badge';
      } else if (m.type === 'left') {
        worker.terminate();
        $('#busy').textContent = 'stopped';
        $('#busy').className = 'badge';
        document.body.dataset.left = '1';
        status(`This trustee gave its verdict in the key generation and has left: it takes no part in the tally (any ${threshold} trustees count). Its key file is still needed if fewer than ${threshold} others are there.`);
        logEvent('left after the key generation');
      } else if (m.type === 'cycle') {
        $('#cycle').textContent = String(m.cycle);
      } else if (m.type === 'error') {
        logEvent(`error: ${m.text}`);
        if (m.fatal || /transport/.test(m.text)) showError(m.text.includes('transport') ? `The controller at ${controllerUrl()} cannot be reached (${m.text}).` : m.text);
      }
    };
    worker.onerror = (e) => showError(`The contributor worker failed: ${e.message}`);
    worker.postMessage({ type: 'start', controller: controllerUrl(), identity: keys.identity.secret, secrets: keys.secrets, joint: joint.peer_id });
    if (threshold && trusteeRole()) offerLeaving(worker, joint, client.id);
  } catch (e) {
    progressDone();
    showError(explain(e));
    joining = false;
    updateJoin();
  }
}

/**
 * A threshold trustee that will be absent at tally time can leave once it has
 * given its verdict in the key generation (the box ticked, its agent stops then):
 * the contributors shuffle, and any t trustees count.
 */
function offerLeaving(worker, joint, me) {
  const spec = joint.crypto_params;
  const j = (spec.params?.TRUSTEES ?? []).indexOf(me);
  const box = $('#leave-after-keygen');
  const verdict = `${spec.name}-dkg-verdict${j}`;
  const send = () => worker.postMessage({ type: 'leave', after: box.checked ? verdict : null });
  box.addEventListener('change', send);
  send();
}

/** The number of trustees of a threshold election (1 to 64). */
function parseTrustees(text) {
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new Error('the number of trustees must be between 1 and 64');
  return n;
}

/** The threshold card, shown as soon as the election has a threshold (the recovery story). */
function updateThresholdCard() {
  const threshold = zeus() && $('#threshold').value.trim() !== '';
  $('#trustees-row').hidden = !threshold;
  let n = null;
  let t = null;
  try {
    n = threshold ? parseTrustees($('#trustees').value) : null;
    t = threshold ? parseThreshold($('#threshold').value, n) : null;
  } catch {
    t = null;
  }
  if (t) showThresholdCard(t, n);
  else $('#threshold-card').hidden = true;
  if (zeus()) {
    $('#key-loss').textContent = t && t < n
      ? `As a trustee, your key share is needed to count the votes: any ${t} of the ${n} trustees can count, so the election survives ${n - t} lost key${n - t === 1 ? '' : 's'} or absent trustee${n - t === 1 ? '' : 's'} at tally time, not more.`
      : 'As a trustee, your key share is needed to count the votes: if it is lost before the tally, the election cannot be counted.';
  }
  // leaving before the tally: a trustee, when the others can count without it
  $('#leave-row').hidden = !(t && t < n && trusteeRole());
  if ($('#leave-row').hidden) $('#leave-after-keygen').checked = false;
}
for (const id of ['#threshold', '#trustees']) $(id).addEventListener('input', updateThresholdCard);
$('#role').addEventListener('change', updateThresholdCard);

$('#join').addEventListener('click', join);
backend.addEventListener('change', () => {
  if (keys) makeKeys();
  updateThresholdCard();
});

try {
  await pmx.init();
  makeKeys();
  votersChanged();
  updateThresholdCard();
  document.body.dataset.ready = '1';
  // auto: join as soon as allowed (a trustee: once its key file is read back)
  if (params.get('auto') === '1' && !zeus()) join();
} catch (e) {
  showError(`The WebAssembly module could not be loaded: ${e.message}`);
}
