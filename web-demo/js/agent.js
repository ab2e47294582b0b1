// A contributor agent in JavaScript, for browser contributors: it does what the
// native `panoramix contribute` agent does (crates/panoramix-mixnet/src/agent.rs),
// on top of @panoramix/mixnet: agree on each cycle's endpoint graph with the other
// owners, close the entry endpoint with its first admissible messages, pull and
// verify linked sources, process its own endpoints (a Sphinx mix, a Zeus mix with
// its proof, a partial decryption), recompute or collect joint endpoints, co-sign
// only what it computed itself, and file a signed complaint when a check fails.
// The web demo runs it inside a Web Worker (agent-worker.js).
import {
  PanoramixClient,
  canonicalEncode,
  messageHash,
  parseContribution,
  processEndpoint,
  sphinxGatewayAccept,
  SphinxMix,
  TRUSTEE_KEY_SESSION,
  verifyEndpoint,
  zeusVerifyBallot,
  contributionText,
} from '../vendor/panoramix/index.js';

const ownersOf = (peer) => (peer.owners ?? []).map((o) => (typeof o === 'string' ? o : o.owner_key_id));
const isConflict = (e) => e && e.status === 409;
const canon = (x) => canonicalEncode(x);
const toMsg = (m) => ({
  sender: m.sender ?? '',
  recipient: m.recipient ?? '',
  text: m.text,
  serial: m.serial ?? null,
  hash: m.message_hash ?? '',
});
const proofText = (p) => (typeof p === 'string' ? p : p === null || p === undefined ? '' : JSON.stringify(p));

/**
 * The endpoints of `cycle` (the native MixnetSpec::graph, default graphs).
 * `trustees` (Zeus): the owners' published trustee key records
 * (`{public_key, proof}`), in owner order.
 */
export function cycleGraph(spec, joint, owners, trustees, cycle) {
  const ep = (s) => `${spec.name}-${cycle}-${s}`;
  const link = (from, fb, tb) => ({ from_endpoint_id: from, from_box: fb, to_box: tb });
  const n = owners.length;
  const g = [];
  if (spec.backend === 'ZEUS') {
    // every stage's parameters (GRAPH-PARAMS: the native MixnetSpec::graph); the
    // voter list only on the booth, the one stage that checks eligibility
    const p = {
      session_id: `${joint}/${cycle}`,
      election_public_key: spec.election_public_key ?? null,
      trustees,
      trustee_key_session: TRUSTEE_KEY_SESSION,
      answers: spec.election?.options ?? [],
      sk_rounds: spec.params?.SK_ROUNDS ?? 128,
    };
    const boothParams = { ...p, voters: spec.election?.voters ?? [] };
    const mixType = spec.params?.MIX_PROOF === 'SK' ? 'ZEUS_SK_MIX' : 'ZEUS_TW_MIX';
    g.push({ endpoint_id: ep('booth'), peer_id: joint, endpoint_type: 'ZEUS_BOOTH', size_min: spec.size_min,
      size_max: spec.size_max, public: true, links: [], description: 'ballot box', endpoint_params: boothParams });
    let prev = ep('booth');
    owners.forEach((o, i) => {
      const id = ep(`mix${i}`);
      g.push({ endpoint_id: id, peer_id: o, endpoint_type: mixType, size_min: 1, size_max: spec.size_max,
        public: false, links: [link(prev, 'OUTBOX', 'INBOX')], description: `mix ${i + 1}`, endpoint_params: p });
      prev = id;
    });
    const decrLinks = [];
    owners.forEach((o, i) => {
      const id = ep(`decr${i}`);
      g.push({ endpoint_id: id, peer_id: o, endpoint_type: 'ZEUS_SK_PARTIAL_DECRYPT', size_min: 1,
        size_max: spec.size_max, public: false, links: [link(prev, 'OUTBOX', 'INBOX')],
        description: `partial decryption ${i + 1}`, endpoint_params: p });
      decrLinks.push(link(id, 'OUTBOX', 'INBOX'));
    });
    g.push({ endpoint_id: ep('combine'), peer_id: joint, endpoint_type: 'ZEUS_SK_COMBINE', size_min: 1,
      size_max: spec.size_max * n, public: false, links: decrLinks,
      description: 'combination of the partial decryptions', endpoint_params: p });
  } else {
    const p = { BODY_LEN: spec.params?.BODY_LEN, MAX_HOPS: spec.params?.MAX_HOPS };
    g.push({ endpoint_id: ep('gw'), peer_id: joint, endpoint_type: 'SPHINXMIX_GATEWAY', size_min: spec.size_min,
      size_max: spec.size_max, public: true, links: [link(ep(`mix${n - 1}`), 'OUTBOX', 'PROCESSBOX')],
      description: 'the mix-net gateway', endpoint_params: p });
    let prev = [ep('gw'), 'ACCEPTED'];
    owners.forEach((o, i) => {
      const id = ep(`mix${i}`);
      g.push({ endpoint_id: id, peer_id: o, endpoint_type: 'SPHINXMIX', size_min: 1, size_max: spec.size_max,
        public: false, links: [link(prev[0], prev[1], 'INBOX')], description: `mix ${i + 1}`, endpoint_params: p });
      prev = [id, 'OUTBOX'];
    });
  }
  return g;
}

/** Which processing an endpoint type needs (as the native backends say). */
function processing(type) {
  switch (type) {
    case 'SPHINXMIX_GATEWAY':
      return 'collect';
    case 'ZEUS_BOOTH':
    case 'ZEUS_SK_COMBINE':
      return 'recompute';
    default:
      return 'own';
  }
}

export class Agent {
  /**
   * `client`: a PanoramixClient of an owner; `secrets`: `{mix}` or `{trustee}`;
   * `joint`: the mix-net's peer id; `log(event)` receives what it did.
   */
  constructor(client, secrets, joint, log = () => {}) {
    this.client = client;
    this.secrets = secrets;
    this.joint = joint;
    this.log = log;
    this.cycle = 1;
    this.processed = new Map();
    this.verified = new Set();
    this.complaints = new Set();
  }

  async ctx() {
    const peer = await this.client.peer(this.joint);
    const owners = ownersOf(peer);
    const spec = peer.crypto_params;
    const trustees = [];
    if (spec.backend === 'ZEUS') {
      for (const o of owners) trustees.push((await this.client.peer(o)).crypto_params?.trustee_key ?? null);
    }
    return { joint: this.joint, owners, spec, trustees };
  }

  event(s, st) {
    st.events.push(s);
    this.log(s);
  }

  /** Do what can be done now; returns `{acted, events}`. */
  async step() {
    const st = { acted: false, events: [] };
    const cx = this.cx ?? (this.cx = await this.ctx());
    const me = this.client.id;
    if (!cx.owners.includes(me)) throw new Error('this key is not an owner of the mix-net');
    const result = (c) => `${cx.spec.name}-${c}-${cx.spec.backend === 'ZEUS' ? 'combine' : 'gw'}`;
    for (;;) {
      const ep = await this.endpointOrNull(result(this.cycle));
      if (!ep || ep.status !== 'PROCESSED') break;
      this.event(`cycle ${this.cycle} complete`, st);
      for (const k of [...this.processed.keys()]) if (k.startsWith(`${cx.spec.name}-${this.cycle}-`)) this.processed.delete(k);
      this.cycle += 1;
    }
    const c = this.cycle;
    const graph = cycleGraph(cx.spec, cx.joint, cx.owners, cx.trustees, c);
    const endpoints = [];
    let missing = false;
    for (const g of graph) {
      const ep = await this.endpointOrNull(g.endpoint_id);
      if (ep) endpoints.push(ep);
      else missing = true;
    }
    if (missing) {
      await this.ensureGraph(cx, c, graph, st);
      return st;
    }
    for (const ep of endpoints) await this.handle(cx, ep, st);
    return st;
  }

  async endpointOrNull(id) {
    try {
      return await this.client.endpoint(id);
    } catch (e) {
      if (e.status === 404) return null;
      throw e;
    }
  }

  async findNegotiation(cx, title) {
    const r = await this.client.get(`/panoramix/negotiations/?title=${encodeURIComponent(title)}`);
    const want = [...cx.owners].sort().join();
    return (r.data ?? []).find((n) => [...(n.participants ?? [])].sort().join() === want) ?? null;
  }

  /**
   * The coordinator (first owner) proposes `propose()`; every other owner checks the
   * proposal with `check(parsed)` and signs the same text. Returns the agreed,
   * parsed text once the negotiation is done.
   */
  async negotiate(cx, title, propose, check, st) {
    const me = this.client.id;
    const coordinator = cx.owners[0] === me;
    const neg = await this.findNegotiation(cx, title);
    if (!neg) {
      if (coordinator) {
        await this.client.createNegotiation(title, cx.owners);
        st.acted = true;
      }
      return null;
    }
    if (neg.status === 'DONE') return { parsed: parseContribution(neg.text), consensus: neg.consensus };
    const contribs = await this.client.contributions(neg.id);
    if (contribs.some((x) => x.signer_key_id === me)) return null;
    if (coordinator) {
      const text = PanoramixClient.textFor(propose(), true);
      const r = await this.client.contribute(neg.id, text);
      st.acted = true;
      this.event(`proposed ${title}`, st);
      return typeof r.consensus === 'string' ? { parsed: parseContribution(text), consensus: r.consensus } : null;
    }
    const proposal = contribs.find((x) => x.signer_key_id === cx.owners[0]);
    if (!proposal) return null;
    const parsed = parseContribution(proposal.text);
    const reason = check(parsed);
    if (reason) {
      await this.complain(title, reason, st);
      return null;
    }
    const r = await this.client.contribute(neg.id, proposal.text);
    st.acted = true;
    this.event(`co-signed ${title}`, st);
    return typeof r.consensus === 'string' ? { parsed, consensus: r.consensus } : null;
  }

  /** A signed, non-accepting contribution naming what was refused and why. */
  async complain(about, reason, st) {
    if (this.complaints.has(about)) return;
    const neg = await this.client.createNegotiation(`complaint:${about}`, [this.client.id]);
    await this.client.contribute(neg, contributionText({ complaint: about, reason }, { accept: 0 }));
    this.complaints.add(about);
    st.acted = true;
    this.event(`REFUSED ${about}: ${reason}`, st);
  }

  async ensureGraph(cx, c, graph, st) {
    const title = `graph:${cx.joint}:${c}`;
    const propose = () => graph.map((g) => this.client.endpointAction(g));
    const check = (t) => {
      if (!Array.isArray(t.body) || t.body.length !== graph.length) return 'graph proposal has the wrong number of endpoints';
      for (let i = 0; i < graph.length; i++) {
        const p = t.body[i];
        if (p?.info?.resource !== 'endpoint') return 'graph proposal contains something other than endpoints';
        if (canon(p.data) !== canon({ ...graph[i], status: 'OPEN' })) return `endpoint ${graph[i].endpoint_id} differs from the agreed graph`;
      }
      return null;
    };
    const agreed = await this.negotiate(cx, title, propose, check, st);
    if (!agreed) return;
    const me = this.client.id;
    for (let i = 0; i < agreed.parsed.body.length; i++) {
      const p = agreed.parsed.body[i];
      const mine = p.data.peer_id === me || (p.data.peer_id === cx.joint && cx.owners[0] === me);
      if (!mine || (await this.endpointOrNull(p.data.endpoint_id))) continue;
      const a = { method: 'POST', path: '/panoramix/endpoints/', data: p.data, info: p.info };
      try {
        await this.client.apply(a, agreed.consensus, i);
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      st.acted = true;
      this.event(`created ${p.data.endpoint_id}`, st);
    }
  }

  /** Move an endpoint: alone for an own endpoint, by negotiation for a joint one. */
  async transition(cx, ep, status, hashes, proof, check, st) {
    const id = ep.endpoint_id;
    const last = ep.last_consensus_id ?? '';
    if (ep.peer_id !== cx.joint) {
      const a = this.client.transitionAction(id, last, status, hashes, proof);
      const cid = await this.client.selfConsensus(`${status}:${id}`, [a]);
      try {
        await this.client.apply(a, cid);
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      st.acted = true;
      this.event(`${id} ${status}`, st);
      return;
    }
    const title = `${status}:${id}:${last}`;
    const propose = () => [this.client.transitionAction(id, last, status, hashes, proof)];
    const fullCheck = (t) => {
      const d = t.body?.data ?? {};
      if (d.endpoint_id !== id || d.status !== status) return 'proposal is for another endpoint or status';
      return check(d);
    };
    const agreed = await this.negotiate(cx, title, propose, fullCheck, st);
    if (!agreed) return;
    const b = agreed.parsed.body;
    const a = { method: 'PATCH', path: `/panoramix/endpoints/${id}/`, data: b.data, info: b.info };
    try {
      await this.client.apply(a, agreed.consensus);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    st.acted = true;
    this.event(`${title} applied`, st);
  }

  async verifySource(cx, src, st) {
    const id = src.endpoint_id;
    if (this.verified.has(id)) return true;
    const inputs = (await this.client.messages(id, 'ACCEPTED')).map(toMsg);
    const outputs = (await this.client.messages(id, 'OUTBOX')).map(toMsg);
    try {
      verifyEndpoint(src, inputs, outputs, proofText(src.process_proof));
      this.verified.add(id);
      this.event(`verified ${id}`, st);
      return true;
    } catch (e) {
      await this.complain(id, e.message ?? String(e), st);
      return false;
    }
  }

  /**
   * Process an own endpoint's input. A Sphinx mix keeps one replay cache for its
   * key's whole life (here: the worker's, which holds the only copy of the key),
   * so a packet replayed in a later round is dropped, as the native agent does.
   */
  process(ep, inputs) {
    if (ep.endpoint_type === 'SPHINXMIX' && this.secrets.mix) {
      this.sphinxMix ??= new SphinxMix(this.secrets.mix, ep.endpoint_params);
      const b = this.sphinxMix.processBatch(inputs.map((m) => m.text));
      return {
        outputs: b.outputs.map((o) => ({ recipient: o.recipient, text: o.text })),
        proof: '',
        dropped: b.rejected.map((r) => [r.index, r.message]),
      };
    }
    return processEndpoint(this.secrets, ep, inputs);
  }

  /** Which INBOX texts an entry endpoint may take. */
  admissible(ep, texts) {
    if (ep.endpoint_type === 'SPHINXMIX_GATEWAY') {
      const ok = texts.map(() => false);
      for (const i of sphinxGatewayAccept(ep.endpoint_params, texts).accepted) ok[i] = true;
      return ok;
    }
    // the box rule (panoramix_zeus::backend::booth_filter): a ballot is admissible
    // when it parses, its validity proof and signature verify, its credential is on
    // the voter list (when there is one), and its c1 replays no earlier admissible
    // ballot; a voter's re-vote is admissible too (the booth counts the last one)
    const p = ep.endpoint_params;
    const seen = new Set();
    return texts.map((t) => {
      try {
        const c1 = zeusVerifyBallot(p, t).ciphertext.slice(0, 64);
        if (seen.has(c1)) return false;
        seen.add(c1);
        return true;
      } catch {
        return false;
      }
    });
  }

  async upload(id, sender, outputs, st) {
    const present = new Set((await this.client.messages(id, 'PROCESSBOX')).map((m) => m.serial));
    const missing = [];
    const hashes = outputs.map((o, i) => {
      if (!present.has(i)) missing.push({ sender, recipient: o.recipient, text: o.text, serial: i });
      return messageHash(i, sender, o.recipient, o.text);
    });
    await this.postBatch(id, 'PROCESSBOX', missing, st);
    return hashes;
  }

  /** Post messages in one batch request (one audit entry), ignoring conflicts. */
  async postBatch(id, box, messages, st) {
    for (let i = 0; i < messages.length; i += 500) {
      const part = messages.slice(i, i + 500);
      try {
        await this.client.call('POST', '/panoramix/messages/', 'message', 'create', { endpoint_id: id, box, messages: part });
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      st.acted = true;
    }
  }

  async handle(cx, ep, st) {
    const me = this.client.id;
    const id = ep.endpoint_id;
    const joint = ep.peer_id === cx.joint;
    if (!(joint || ep.peer_id === me)) return;
    const proc = processing(ep.endpoint_type);
    const links = ep.links ?? [];
    const coordinator = cx.owners[0] === me;
    if (ep.status === 'OPEN') {
      const inboxLinks = links.filter((l) => l.to_box === 'INBOX');
      if (inboxLinks.length === 0) {
        const sizeMin = ep.size_min ?? 1;
        if ((ep.inbox_count ?? 0) < sizeMin) return;
        const inbox = await this.client.messages(id, 'INBOX');
        const ok = this.admissible(ep, inbox.map((m) => m.text));
        const selection = inbox.filter((_, i) => ok[i]).map((m) => m.message_hash).slice(0, ep.size_max);
        if (selection.length < sizeMin) return;
        const check = (d) => {
          const p = d.message_hashes ?? [];
          return p.length >= sizeMin && selection.length >= p.length && p.every((h, i) => h === selection[i])
            ? null
            : 'the selection is not the first admissible messages of the inbox';
        };
        await this.transition(cx, ep, 'CLOSED', selection, undefined, check, st);
        return;
      }
      if (joint && !coordinator && proc !== 'recompute') return;
      const expected = [];
      for (const l of inboxLinks) {
        const src = await this.endpointOrNull(l.from_endpoint_id);
        if (!src) return;
        const ready = l.from_box === 'ACCEPTED' ? src.status === 'CLOSED' || src.status === 'PROCESSED' : src.status === 'PROCESSED';
        if (!ready) return;
        if (l.from_box === 'OUTBOX' && !(await this.verifySource(cx, src, st))) return;
        expected.push(...(await this.client.messages(l.from_endpoint_id, l.from_box)));
      }
      const have = new Set((await this.client.messages(id, 'INBOX')).map((m) => m.text));
      const missing = expected
        .filter((m) => !have.has(m.text))
        .map((m) => ({ sender: m.sender ?? '', recipient: m.recipient ?? '', text: m.text }));
      if (missing.length) await this.postBatch(id, 'INBOX', missing, st);
      const inbox = await this.client.messages(id, 'INBOX');
      if (inbox.length === expected.length && inbox.length > 0) {
        const hashes = inbox.map((m) => m.message_hash);
        const check = (d) => (canon(d.message_hashes ?? []) === canon(hashes) ? null : 'not the linked input');
        await this.transition(cx, ep, 'CLOSED', hashes, undefined, check, st);
      }
      return;
    }
    if (ep.status !== 'CLOSED') return;
    if (proc === 'own') {
      if (ep.peer_id !== me) return;
      let p = this.processed.get(id);
      if (!p) {
        const inputs = (await this.client.messages(id, 'ACCEPTED')).map(toMsg);
        const t0 = performance.now();
        p = this.process(ep, inputs);
        this.processed.set(id, p);
        this.event(
          `processed ${id}: ${inputs.length} in, ${p.outputs.length} out, ${p.dropped.length} dropped (${Math.round(performance.now() - t0)} ms)`,
          st,
        );
      }
      const hashes = await this.upload(id, me, p.outputs, st);
      await this.transition(cx, ep, 'PROCESSED', hashes, p.proof ? p.proof : undefined, () => null, st);
      return;
    }
    if (proc === 'recompute') {
      const inputs = (await this.client.messages(id, 'ACCEPTED')).map(toMsg);
      const p = processEndpoint(null, ep, inputs);
      const hashes = p.outputs.map((o, i) => messageHash(i, cx.joint, o.recipient, o.text));
      if (coordinator) await this.upload(id, cx.joint, p.outputs, st);
      else if ((await this.client.messages(id, 'PROCESSBOX')).length < hashes.length) return;
      const check = (d) => {
        if (canon(d.message_hashes ?? []) !== canon(hashes)) return 'the proposed output is not what the agreed input gives';
        if (proofText(d.process_proof) !== (p.proof ?? '')) return 'the proposed proof is not what the agreed input gives';
        return null;
      };
      await this.transition(cx, ep, 'PROCESSED', hashes, p.proof ? p.proof : undefined, check, st);
      return;
    }
    // collect: the gateway takes the last mix's output
    const l = links.find((x) => x.to_box === 'PROCESSBOX');
    if (!l) return;
    const src = await this.endpointOrNull(l.from_endpoint_id);
    if (!src || src.status !== 'PROCESSED' || !(await this.verifySource(cx, src, st))) return;
    const out = (await this.client.messages(l.from_endpoint_id, 'OUTBOX')).sort((a, b) => a.serial - b.serial);
    const hashes = out.map((m, i) => messageHash(i, m.sender, m.recipient, m.text));
    if (coordinator) {
      const have = new Set((await this.client.messages(id, 'PROCESSBOX')).map((m) => m.serial));
      const missing = out
        .map((m, i) => ({ sender: m.sender, recipient: m.recipient, text: m.text, serial: i }))
        .filter((m) => !have.has(m.serial));
      if (missing.length) await this.postBatch(id, 'PROCESSBOX', missing, st);
    } else if ((await this.client.messages(id, 'PROCESSBOX')).length < hashes.length) return;
    const check = (d) => (canon(d.message_hashes ?? []) === canon(hashes) ? null : "not the linked source's output");
    await this.transition(cx, ep, 'PROCESSED', hashes, undefined, check, st);
  }
}
