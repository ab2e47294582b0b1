// The mix-net view: the endpoint graph of a round as an SVG picture (stages,
// links, states, counts), and the audit log with every agreement and its signers,
// both updating live. The audit chain and the signed head are checked here.
import { $, el, pmx, params, explain, showError, clearError, status, sleep, findMixnet, apiGet, apiList, ownersOf, short } from './common.js';
import { cycleGraph } from './agent.js';

const name = params.get('mixnet') ?? params.get('room') ?? params.get('election') ?? 'room1';
$('#mixnet-name').textContent = name;
const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...kids) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
let chosen = params.get('cycle') ? Number(params.get('cycle')) : null;
const peerNames = new Map();

function label(id, spec) {
  return id.slice(spec.name.length + 1).replace(/^\d+-/, '');
}

/** Columns: entry, then each mix, then (Zeus) the decryptions side by side, then the combination. */
function layout(graph) {
  const col = new Map();
  const rowIn = new Map();
  const depth = (g) => {
    if (col.has(g.endpoint_id)) return col.get(g.endpoint_id);
    const ins = (g.links ?? []).filter((l) => l.to_box === 'INBOX');
    const d = ins.length ? 1 + Math.max(...ins.map((l) => depth(graph.find((x) => x.endpoint_id === l.from_endpoint_id) ?? { endpoint_id: '?', links: [] }))) : 0;
    col.set(g.endpoint_id, d);
    return d;
  };
  const pos = new Map();
  for (const g of graph) {
    const d = depth(g);
    const r = rowIn.get(d) ?? 0;
    rowIn.set(d, r + 1);
    pos.set(g.endpoint_id, { c: d, r });
  }
  return { pos, rows: Math.max(...rowIn.values()), cols: Math.max(...col.values()) + 1 };
}

function draw(spec, owners, graph, eps) {
  const { pos, rows, cols } = layout(graph);
  const W = 158, H = 74, GX = 34, GY = 20, M = 16;
  const width = M * 2 + cols * W + (cols - 1) * GX;
  const height = M * 2 + rows * H + (rows - 1) * GY + 40;
  const xy = (id) => {
    const p = pos.get(id);
    return { x: M + p.c * (W + GX), y: M + p.r * (H + GY) };
  };
  const root = svg('svg', { class: 'graph', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'graph-title graph-desc' });
  root.append(svg('title', { id: 'graph-title' }, `Endpoint graph of round ${chosen}`));
  const desc = graph.map((g) => `${label(g.endpoint_id, spec)}: ${eps.get(g.endpoint_id)?.status ?? 'not created'}`).join('; ');
  root.append(svg('desc', { id: 'graph-desc' }, desc));
  const defs = svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' })));
  root.append(defs);
  for (const g of graph) {
    for (const l of g.links ?? []) {
      if (!pos.has(l.from_endpoint_id)) continue;
      const a = xy(l.from_endpoint_id);
      const b = xy(g.endpoint_id);
      let d;
      let cls = '';
      if (l.to_box === 'PROCESSBOX') {
        // the last mix's output goes back to the gateway: drawn below the boxes
        const y = height - 22;
        d = `M${a.x + W / 2},${a.y + H} C${a.x + W / 2},${y} ${b.x + W / 2},${y} ${b.x + W / 2},${b.y + H}`;
        cls = 'back';
      } else {
        d = `M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}`;
      }
      root.append(svg('path', { d, class: cls, 'marker-end': 'url(#arrow)' }, svg('title', {}, `${l.from_endpoint_id} ${l.from_box} → ${g.endpoint_id} ${l.to_box}`)));
    }
  }
  for (const g of graph) {
    const e = eps.get(g.endpoint_id);
    const st = e?.status ?? 'missing';
    const { x, y } = xy(g.endpoint_id);
    const oi = owners.indexOf(g.peer_id);
    const ti = (spec.params?.TRUSTEES ?? []).indexOf(g.peer_id);
    const who = oi >= 0 ? `owner ${oi + 1}` : `trustee ${ti + 1}`;
    const owner = g.peer_id === spec.joint ? "joint: all owners" : `${who} · ${g.peer_id.slice(0, 6)}`;
    const count = e ? (st === 'OPEN' ? `${e.inbox_count ?? 0} waiting` : st === 'CLOSED' ? 'processing…' : 'done') : '';
    root.append(svg('g', { class: st, 'data-endpoint': g.endpoint_id, 'data-status': st },
      svg('rect', { x, y, width: W, height: H, rx: 8, 'stroke-width': 2 }),
      svg('text', { x: x + 8, y: y + 18, 'font-weight': 700 }, label(g.endpoint_id, spec)),
      svg('text', { x: x + 8, y: y + 35 }, g.endpoint_type.replace(/^ZEUS_|^SPHINXMIX_?/, '').toLowerCase() || 'mix'),
      svg('text', { x: x + 8, y: y + 51 }, owner),
      svg('text', { x: x + 8, y: y + 67 }, `${st === 'missing' ? 'not created' : st.toLowerCase()} ${count ? '· ' + count : ''}`),
      svg('title', {}, `${g.endpoint_id} (${g.endpoint_type}), owned by ${owner}: ${st}`)));
  }
  $('#graph').replaceChildren(root);
  $('#graph-text').textContent = `Stages: ${desc}.`;
}

let auditAfter = 0;
let prevHash = '0'.repeat(64);
let chainOk = true;
const entries = [];

function describe(e) {
  const eff = e.effect ?? {};
  switch (e.kind) {
    case 'consensus': {
      let what = '';
      try {
        const t = pmx.parseContribution(eff.text);
        const body = Array.isArray(t.body) ? t.body : [t.body];
        what = body.map((b) => b?.info ? `${b.info.resource} ${b.info.operation}${b.data?.endpoint_id ? ' ' + b.data.endpoint_id : ''}${b.data?.status && b.info.resource === 'endpoint' && b.info.operation !== 'create' ? ' → ' + b.data.status : ''}` : 'text').join(', ');
        if (!t.accepted) what = `complaint / refusal: ${JSON.stringify(t.body).slice(0, 160)}`;
      } catch {
        what = 'agreement';
      }
      return `Agreement: ${what}`;
    }
    case 'message.create': return `message into ${eff.endpoint_id} ${eff.box}`;
    case 'endpoint.update': return `${eff.endpoint_id} → ${eff.status}`;
    case 'endpoint.create': return `endpoint ${eff.endpoint_id} created`;
    case 'peer.create': return `peer ${peerNames.get(eff.peer_id) ?? short(eff.peer_id)} registered`;
    case 'negotiation.create': return `negotiation opened`;
    case 'contribution.create': return `contribution signed`;
    default: return e.kind;
  }
}

function renderAudit() {
  const only = $('#only-consensus').checked;
  const shown = entries.filter((x) => !only || x.e.kind === 'consensus').slice(-150).reverse();
  $('#audit').replaceChildren(...shown.map(({ seq, e }) => {
    const li = el('li', { 'data-kind': e.kind }, el('strong', {}, `#${seq} `), describe(e), el('span', { class: 'muted' }, ` · ${e.time?.slice(11, 19) ?? ''}`));
    if (e.kind === 'consensus') {
      const signers = Object.keys(e.effect?.signings ?? {});
      li.append(el('div', { class: 'signers' }, `consensus ${short(e.consensus)} signed by ${signers.length}: ${signers.map((s) => peerNames.get(s) ?? short(s)).join(', ')}`));
    } else if (e.signer) {
      li.append(el('div', { class: 'signers' }, `signed by ${peerNames.get(e.signer) ?? short(e.signer)}${e.consensus ? `, applying consensus ${short(e.consensus)}` : ''}`));
    }
    return li;
  }));
}

async function pollAudit() {
  for (;;) {
    const r = await apiGet(`/panoramix/audit/?after=${auditAfter}&limit=1000`);
    for (const rec of r.data ?? []) {
      const want = pmx.sha256Hex(new Uint8Array([...new TextEncoder().encode('panoramix/v1/audit'), 0, ...new TextEncoder().encode(rec.entry)]));
      if (rec.prev_hash !== prevHash || want !== rec.entry_hash) chainOk = false;
      prevHash = rec.entry_hash;
      entries.push({ seq: rec.seq, e: pmx.canonicalDecode(rec.entry) });
      auditAfter = rec.seq;
    }
    if (r.next === null || r.next === undefined) {
      const h = r.head;
      let headOk = false;
      try {
        headOk = h.seq === auditAfter && h.hash === prevHash &&
          pmx.verify(h.key_data, 'audit-head', pmx.canonicalEncode({ controller: h.controller, hash: h.hash, seq: h.seq }), h.signature);
      } catch {
        headOk = false;
      }
      const ok = chainOk && (headOk || h.seq !== auditAfter);
      $('#chain').className = ok ? 'badge ok' : 'badge bad';
      $('#chain').textContent = ok ? `${auditAfter} entries, chain and signed head verified` : 'CHAIN OR HEAD DOES NOT VERIFY';
      if (!ok) showError('The audit log does not verify: its hash chain is broken or the controller\'s signed head does not match.');
      return;
    }
  }
}

let dkgKey = null; // a threshold election's key generation result (JSON text), once published

async function main() {
  await Promise.all([pmx.init(), pmx.initContributor()]); // the graph comes from the contributor module
  for (;;) {
    try {
      const joint = await findMixnet(name);
      if (!joint) {
        status(`The mix-net ${name} does not exist yet.`);
        await sleep(1000);
        continue;
      }
      const spec = { ...joint.crypto_params, joint: joint.peer_id };
      const owners = ownersOf(joint);
      if (!peerNames.size) {
        for (const p of await apiList('/panoramix/peers/')) peerNames.set(p.peer_id, p.name);
      }
      const eps = new Map();
      // with threshold trustees apart from the owners, their own endpoints too
      for (const id of new Set([joint.peer_id, ...owners, ...(spec.params?.TRUSTEES ?? [])])) {
        for (const e of await apiList(`/panoramix/endpoints/?peer_id=${id}`)) eps.set(e.endpoint_id, e);
      }
      let latest = 1;
      while (eps.has(`${spec.name}-${latest + 1}-${spec.backend === 'ZEUS' ? 'booth' : 'gw'}`)) latest++;
      const sel = $('#round-select');
      if (sel.options.length !== latest) {
        sel.replaceChildren(...Array.from({ length: latest }, (_, i) => el('option', { value: i + 1 }, `round ${i + 1}`)));
      }
      const c = chosen ?? latest;
      sel.value = String(c);
      $('#round').textContent = String(c);
      // threshold trustees: the rounds carry the key generation's result (the
      // combination is the first owner's)
      const t = spec.params?.THRESHOLD;
      const dkg = t ? eps.get(`${spec.name}-dkg-key`) : null;
      if (dkg?.status === 'PROCESSED' && !dkgKey) {
        dkgKey = (await apiList(`/panoramix/messages/?endpoint_id=${encodeURIComponent(dkg.endpoint_id)}&box=OUTBOX`))[0]?.text ?? null;
      }
      draw(spec, owners, cycleGraph(spec, joint.peer_id, owners, [], c, dkgKey), eps);
      await pollAudit();
      renderAudit();
      const kind = spec.backend === 'ZEUS' ? 'Election' : 'Chat mix-net';
      const keygen = t ? ` (any ${t} count the votes; key generation ${dkg ? dkg.status : 'not started'})` : '';
      status(`${kind} with ${owners.length} contributors${keygen}; updated ${new Date().toLocaleTimeString()}.`);
      document.body.dataset.ready = '1';
      clearError();
    } catch (e) {
      showError(explain(e));
    }
    await sleep(1500);
  }
}

$('#round-select').addEventListener('change', (ev) => {
  chosen = Number(ev.target.value);
});
$('#only-consensus').addEventListener('change', renderAudit);
main();
