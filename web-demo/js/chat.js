// The chat room: wraps each message in a Sphinx packet in the browser, posts it to
// the open round's gateway, and shows every finished round's output, in the order
// the mix-net delivered it.
import { $, el, pmx, params, connect, explain, showError, clearError, status, sleep, findMixnet, apiList, progress, progressDone } from './common.js';

const room = params.get('room') ?? params.get('mixnet') ?? 'room1';
$('#room-name').textContent = room;
$('#nick').value = params.get('name') ?? '';
const shown = new Set();
const mine = [];
let sender = null;
let client = null;

function renderRound(c, out) {
  const list = el('ol', { 'aria-label': `Messages of round ${c}` });
  for (const m of out) {
    let who = '?';
    let text = m.text;
    try {
      const j = JSON.parse(m.text);
      who = String(j.from);
      text = String(j.text);
    } catch {
      /* a message not from this page's format */
    }
    list.append(el('li', { class: 'msg', 'data-text': text }, el('span', { class: 'who' }, who), ': ', text));
  }
  const sec = el('section', { class: 'round', 'data-round': c, 'aria-label': `Round ${c}` },
    el('h3', {}, `Round ${c} — ${out.length} messages, mixed`), list);
  $('#rounds').prepend(sec);
  for (const p of mine.filter((x) => x.cycle === c && !x.done)) {
    p.done = true;
    p.li.textContent = `delivered in round ${c}: ${p.text}`;
  }
}

/** The room's gateways (one per round), by round number: one listing, no 404s. */
async function gateways() {
  const list = await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(sender.joint)}`);
  const byRound = new Map();
  for (const ep of list) {
    const m = ep.endpoint_id.match(/-(\d+)-gw$/);
    if (m && ep.endpoint_id === sender.ids(Number(m[1])).entry) byRound.set(Number(m[1]), ep);
  }
  return byRound;
}

async function currentRound() {
  const gws = await gateways();
  for (let c = 1; ; c++) {
    const ep = gws.get(c);
    if (!ep) return { cycle: c, ep: null };
    if (ep.status === 'OPEN' && (ep.inbox_count ?? 0) < ep.size_max) return { cycle: c, ep };
  }
}

async function send(ev) {
  ev.preventDefault();
  clearError();
  const nick = $('#nick').value.trim();
  const text = $('#message').value.trim();
  if (!nick || !text) return;
  $('#send').disabled = true;
  try {
    let r = await currentRound();
    while (!r.ep) {
      status(`Round ${r.cycle} is not open yet; waiting for the mixes…`);
      await sleep(300);
      r = await currentRound();
    }
    const body = JSON.stringify({ from: nick, text });
    const li = el('li', {}, `wrapping for ${sender.owners.length} mixes: ${text}`);
    $('#pending').append(li);
    const m = sender.encrypt(r.cycle, 'room', body); // Sphinx layers, in this browser
    li.textContent = `sent, waiting for round ${r.cycle} to fill up: ${text}`;
    await client.postMessage(sender.ids(r.cycle).entry, 'INBOX', client.id, m.recipient, m.text);
    mine.push({ cycle: r.cycle, text, li });
    $('#message').value = '';
    document.body.dataset.sent = String(mine.length);
  } catch (e) {
    showError(explain(e));
  } finally {
    $('#send').disabled = false;
    $('#message').focus();
  }
}

async function poll() {
  for (;;) {
    try {
      const gws = await gateways();
      for (let c = 1; ; c++) {
        const ep = gws.get(c);
        if (!ep) {
          status(`Round ${c} is being set up by the mixes…`);
          break;
        }
        if (ep.status === 'CLOSED') {
          for (const p of mine.filter((x) => x.cycle === c && !x.done && !x.mixing)) {
            p.mixing = true;
            p.li.textContent = `being mixed in round ${c}: ${p.text}`;
          }
        }
        if (ep.status !== 'PROCESSED') {
          status(`Round ${c}: ${ep.status === 'OPEN' ? `collecting messages (${ep.inbox_count}/${ep.size_min} to start mixing)` : 'mixing…'}`);
          break;
        }
        if (shown.has(c)) continue;
        const out = await sender.results(c);
        if (!out) break;
        shown.add(c);
        renderRound(c, out);
        document.body.dataset.rounds = String(shown.size);
      }
      clearError();
    } catch (e) {
      showError(explain(e));
    }
    await sleep(700);
  }
}

$('#send-form').addEventListener('submit', send);
try {
  progress('loading the cryptography and connecting');
  client = await connect();
  let joint = await findMixnet(room);
  while (!joint) {
    status(`The room ${room} does not exist yet: waiting for its mixes to form it…`);
    await sleep(500);
    joint = await findMixnet(room);
  }
  sender = await pmx.MixnetSender.open(client, joint.peer_id);
  progressDone();
  $('#send').disabled = false;
  document.body.dataset.ready = '1';
  poll();
} catch (e) {
  progressDone();
  showError(explain(e));
}
