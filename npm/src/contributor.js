// The contributor helper (one processing step of an own endpoint, as the native
// agent does it) and a sender for a mix-net (Sphinx packets or Zeus ballots).
import { PanoramixError } from './errors.js';
import * as a from './args.js';
import { check, optional } from './args.js';
import { PanoramixClient } from './client.js';
import {
  messageHash,
  PreparedBallot,
  SphinxRoute,
  zeusParseOutcome,
  zeusPrepareBallot,
} from './index.js';
import { processEndpoint, verifyEndpoint, zeusAssembleElection } from './processing.js';

// argument checks shared by the methods (see args.js)
const CLIENT = ['client', a.instanceOf(PanoramixClient)];
/** What a sender uses of its client (a test may give a stand-in). */
const SENDER_CLIENT = [
  'client',
  a.having('a PanoramixClient', {
    id: a.string,
    peer: optional(a.func),
    endpoint: a.func,
    messages: a.func,
    postMessage: a.func,
  }),
];
const CYCLE = ['cycle', a.count];
const JOINT = ['joint', a.nonEmptyString];
const ENDPOINT = ['endpoint', a.anyOf(a.nonEmptyString, a.apiEndpoint)];
const SPEC = [
  'spec',
  a.shape('a mix-net description ({name, backend, …})', {
    name: a.string,
    backend: a.nonEmptyString,
  }),
];
const VOTER = a.shape('options ({voterSecret?})', { voterSecret: optional(a.secret) });
const SEND = [
  CYCLE,
  ['recipient', optional(a.string)],
  ['message', a.bytes],
  ['options', optional(VOTER)],
];

function isConflict(e) {
  return e && e.status === 409;
}

/**
 * The endpoint ids of a mix-net's cycle (see the native `MixnetSpec`):
 * `<name>-<cycle>-gw|booth|mixN|decrN|combine`.
 */
export function endpointIds(spec, cycle, owners) {
  check('endpointIds', [SPEC, CYCLE, ['owners', a.hexStrings]], [spec, cycle, owners]);
  const ep = (stage) => `${spec.name}-${cycle}-${stage}`;
  const zeus = spec.backend === 'ZEUS';
  return {
    entry: ep(zeus ? 'booth' : 'gw'),
    result: ep(zeus ? 'combine' : 'gw'),
    mixes: owners.map((_, i) => ep(`mix${i}`)),
    decryptions: zeus ? owners.map((_, i) => ep(`decr${i}`)) : [],
  };
}

function ownersOf(peer) {
  return (peer.owners ?? []).map((o) => (typeof o === 'string' ? o : o.owner_key_id));
}

/**
 * A contributor: an API client plus its backend secrets (`{mix}` for SPHINXMIX,
 * `{trustee}` for ZEUS, hex). Processes its own endpoints (Sphinx mixes, Zeus
 * mixes and partial decryptions) exactly as the native agent does.
 */
export class Contributor {
  #secrets;
  #processed = new Map();

  /**
   * `secrets.replay` (optional, hex) restores the mix key's replay cache saved from
   * `replayCache`: the cache lives as long as the key, so that a packet replayed in a
   * later cycle is dropped (as the native agent does).
   */
  constructor(secrets, client) {
    check('new Contributor', [['secrets', optional(a.backendSecrets)], CLIENT], [secrets, client]);
    this.client = client;
    this.#secrets = { ...(secrets ?? {}) };
  }

  /** The Sphinx replay cache (hex) to persist with the mix key, or undefined. */
  get replayCache() {
    return this.#secrets.replay;
  }

  /**
   * One processing step of an own endpoint: when it is CLOSED, read its ACCEPTED
   * box, process it, upload the outputs to its PROCESSBOX with serials 0..n-1
   * (skipping serials already there, so a retry resumes), and mark it PROCESSED
   * by self-consensus with the output hashes and the proof. Returns what it did:
   * `{acted, status, outputs?, dropped?}`.
   */
  async processStep(endpointOrId) {
    check('Contributor.processStep', [ENDPOINT], [endpointOrId]);
    const c = this.client;
    const ep =
      typeof endpointOrId === 'string' ? await c.endpoint(endpointOrId) : endpointOrId;
    const id = ep.endpoint_id;
    if (ep.peer_id !== c.id) {
      throw new PanoramixError('not_owner', `${id} belongs to ${ep.peer_id}, not to this key`);
    }
    if (ep.status !== 'CLOSED') return { acted: false, status: ep.status };
    let p = this.#processed.get(id);
    if (!p) {
      const inputs = await c.messages(id, 'ACCEPTED');
      p = processEndpoint(this.#secrets, ep, inputs);
      if (p.replay) this.#secrets.replay = p.replay;
      this.#processed.set(id, p);
    }
    const present = new Set(
      (await c.messages(id, 'PROCESSBOX')).map((m) => m.serial).filter((s) => s !== null),
    );
    const hashes = [];
    for (let i = 0; i < p.outputs.length; i++) {
      const o = p.outputs[i];
      if (!present.has(i)) {
        try {
          await c.postMessage(id, 'PROCESSBOX', c.id, o.recipient, o.text, i);
        } catch (e) {
          if (!isConflict(e)) throw e;
        }
      }
      hashes.push(messageHash(i, c.id, o.recipient, o.text));
    }
    const a = c.transitionAction(
      id,
      ep.last_consensus_id ?? '',
      'PROCESSED',
      hashes,
      p.proof ? p.proof : undefined,
    );
    const cid = await c.selfConsensus(`PROCESSED:${id}`, [a]);
    try {
      await c.apply(a, cid);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    this.#processed.delete(id);
    return { acted: true, status: 'PROCESSED', outputs: p.outputs.length, dropped: p.dropped };
  }

  /**
   * Verify a processed endpoint (anyone's) from its ACCEPTED box, OUTBOX and
   * proof, as a downstream owner does before taking its output. Throws a
   * PanoramixError (`verify_failed`, `zeus_*`) when it does not verify.
   */
  async verifySource(endpointOrId) {
    check('Contributor.verifySource', [ENDPOINT], [endpointOrId]);
    const c = this.client;
    const ep =
      typeof endpointOrId === 'string' ? await c.endpoint(endpointOrId) : endpointOrId;
    const inputs = await c.messages(ep.endpoint_id, 'ACCEPTED');
    const outputs = await c.messages(ep.endpoint_id, 'OUTBOX');
    const proof =
      typeof ep.process_proof === 'string'
        ? ep.process_proof
        : ep.process_proof == null
          ? ''
          : JSON.stringify(ep.process_proof);
    verifyEndpoint(ep, inputs, outputs, proof);
    return { inputs: inputs.length, outputs: outputs.length };
  }

  /**
   * Process every own endpoint of `cycle` of the mix-net `joint` that is CLOSED.
   * Returns the steps taken.
   */
  async step(joint, cycle) {
    check('Contributor.step', [JOINT, CYCLE], [joint, cycle]);
    const c = this.client;
    const peer = await c.peer(joint);
    const owners = ownersOf(peer);
    const i = owners.indexOf(c.id);
    if (i < 0) throw new PanoramixError('not_owner', 'this key is not an owner of the mix-net');
    const ids = endpointIds(peer.crypto_params, cycle, owners);
    const mine = [ids.mixes[i], ...(ids.decryptions.length ? [ids.decryptions[i]] : [])];
    const done = [];
    for (const id of mine) {
      let ep;
      try {
        ep = await c.endpoint(id);
      } catch (e) {
        if (e.status === 404) continue;
        throw e;
      }
      if (ep.status === 'CLOSED') done.push({ endpoint: id, ...(await this.processStep(ep)) });
    }
    return done;
  }
}

/**
 * A client of one mix-net: encrypts for it, posts to a cycle's entry, reads results.
 * ZEUS ballots are signed with a voter credential secret (`options.voterSecret`,
 * the `voterSecret` property, or per call); without one they are refused.
 */
export class MixnetSender {
  static async open(client, joint, options) {
    check('MixnetSender.open', [SENDER_CLIENT, JOINT, ['options', optional(VOTER)]], [client, joint, options]);
    const peer = await client.peer(joint);
    const spec = peer.crypto_params;
    const owners = ownersOf(peer);
    let route = null;
    if (spec.backend === 'SPHINXMIX') {
      const keys = [];
      for (const o of owners) keys.push((await client.peer(o)).crypto_params.mix_key);
      route = new SphinxRoute(
        { BODY_LEN: spec.params?.BODY_LEN, MAX_HOPS: spec.params?.MAX_HOPS },
        keys,
      );
    }
    const s = new MixnetSender(client, joint, spec, owners, route);
    if (options?.voterSecret) s.voterSecret = options.voterSecret;
    return s;
  }

  constructor(client, joint, spec, owners, route) {
    check(
      'new MixnetSender',
      [SENDER_CLIENT, JOINT, SPEC, ['owners', a.hexStrings], ['route', optional(a.instanceOf(SphinxRoute))]],
      [client, joint, spec, owners, route],
    );
    this.client = client;
    this.joint = joint;
    this.spec = spec;
    this.owners = owners;
    this.route = route;
    /** ZEUS: the voter credential secret ballots are signed with. */
    this.voterSecret = undefined;
  }

  ids(cycle) {
    check('MixnetSender.ids', [CYCLE], [cycle]);
    return endpointIds(this.spec, cycle, this.owners);
  }

  /**
   * ZEUS: the parameters ballots of `cycle` are made for, from the mix-net's
   * description (`election: {question, options, voters}`): what a ballot's proofs
   * bind (session, election key, answers) and the voter list. The booth endpoint's
   * `endpoint_params` are authoritative: pass them to `prepareBallot` when you have
   * them (a graph template may differ).
   */
  zeusParams(cycle) {
    check('MixnetSender.zeusParams', [CYCLE], [cycle]);
    const p = {
      session_id: `${this.joint}/${cycle}`,
      election_public_key: this.spec.election_public_key,
    };
    const e = this.spec.election;
    if (Array.isArray(e?.options) && e.options.length) p.answers = e.options;
    if (Array.isArray(e?.voters) && e.voters.length) p.voters = e.voters;
    return p;
  }

  /**
   * ZEUS: the booth endpoint's `endpoint_params` for `cycle` (what the booth checks
   * ballots against: session, election key, answers, voter list), read from the
   * controller.
   */
  async electionParams(cycle) {
    check('MixnetSender.electionParams', [CYCLE], [cycle]);
    const ep = await this.client.endpoint(this.ids(cycle).entry);
    if (!ep?.endpoint_params || typeof ep.endpoint_params !== 'object') {
      throw new PanoramixError('decode', `${this.ids(cycle).entry} has no endpoint_params`);
    }
    return ep.endpoint_params;
  }

  #voter(voterSecret) {
    const v = voterSecret ?? this.voterSecret;
    if (typeof v !== 'string' || !v) {
      throw new PanoramixError(
        'missing_credential',
        'a ZEUS ballot is signed with a voter credential: give a voter secret (zeusVoterKeygen)',
      );
    }
    return v;
  }

  /**
   * ZEUS: a prepared ballot for `answer` in `cycle` (cast it with `cast`, or audit
   * it). `options`: `voterSecret`, `params` (the booth's endpoint_params).
   */
  prepareBallot(cycle, answer, options = {}) {
    check(
      'MixnetSender.prepareBallot',
      [
        CYCLE,
        ['answer', a.bytes],
        [
          'options',
          a.shape('options ({voterSecret?, params?})', {
            voterSecret: optional(a.secret),
            params: optional(a.zeusParams),
          }),
        ],
      ],
      [cycle, answer, options],
    );
    if (this.route) throw new PanoramixError('invalid_argument', 'not a ZEUS mix-net');
    return zeusPrepareBallot(
      this.#voter(options.voterSecret),
      options.params ?? this.zeusParams(cycle),
      answer,
    );
  }

  /** `{recipient, text}` to post for `message` to `recipient` in `cycle`. */
  encrypt(cycle, recipient, message, options) {
    check('MixnetSender.encrypt', SEND, [cycle, recipient, message, options]);
    if (this.route) return this.route.wrap(recipient, message);
    const b = this.prepareBallot(cycle, message, { voterSecret: options?.voterSecret });
    try {
      return { recipient: this.joint, text: b.castText() };
    } finally {
      b.free();
    }
  }

  /** ZEUS: post a prepared ballot to the booth of `cycle` (throws `ballot_audited`). */
  async cast(cycle, prepared) {
    check('MixnetSender.cast', [CYCLE, ['prepared', a.instanceOf(PreparedBallot)]], [cycle, prepared]);
    const text = prepared.castText();
    return this.client.postMessage(this.ids(cycle).entry, 'INBOX', this.client.id, this.joint, text);
  }

  /**
   * Encrypt and post to the entry endpoint of `cycle`. A ZEUS ballot is made for
   * the booth's own parameters (`electionParams`).
   */
  async send(cycle, recipient, message, options) {
    check('MixnetSender.send', SEND, [cycle, recipient, message, options]);
    let m;
    if (this.route) {
      m = this.encrypt(cycle, recipient, message);
    } else {
      const voter = this.#voter(options?.voterSecret);
      const params = await this.electionParams(cycle);
      const b = this.prepareBallot(cycle, message, { voterSecret: voter, params });
      try {
        m = { recipient: this.joint, text: b.castText() };
      } finally {
        b.free();
      }
    }
    return this.client.postMessage(
      this.ids(cycle).entry,
      'INBOX',
      this.client.id,
      m.recipient,
      m.text,
    );
  }

  /** Whether the entry endpoint of `cycle` is OPEN. */
  async isOpen(cycle) {
    check('MixnetSender.isOpen', [CYCLE], [cycle]);
    try {
      return (await this.client.endpoint(this.ids(cycle).entry)).status === 'OPEN';
    } catch {
      return false;
    }
  }

  /**
   * ZEUS: the election transcript of `cycle` (JSON text, `election.json` for
   * auditors), gathered from what the cycle published as the native
   * `election::collect` does, and verified; null until every stage is PROCESSED.
   * Needs the contributor module (`initContributor()` in browsers).
   */
  async electionTranscript(cycle) {
    check('MixnetSender.electionTranscript', [CYCLE], [cycle]);
    if (this.route) throw new PanoramixError('invalid_argument', 'not a ZEUS mix-net');
    const c = this.client;
    const ids = this.ids(cycle);
    const eps = new Map();
    for (const id of [ids.entry, ...ids.mixes, ...ids.decryptions, ids.result]) {
      let ep;
      try {
        ep = await c.endpoint(id);
      } catch (e) {
        if (e.status === 404) return null;
        throw e;
      }
      if (ep.status !== 'PROCESSED') return null;
      eps.set(id, ep);
    }
    const texts = async (id, box) =>
      (await c.messages(id, box))
        .map((m, i) => [m.serial ?? Number.MAX_SAFE_INTEGER, i, m.text])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .map((x) => x[2]);
    const proofText = (ep) =>
      typeof ep.process_proof === 'string'
        ? ep.process_proof
        : ep.process_proof == null
          ? ''
          : JSON.stringify(ep.process_proof);
    const mixes = [];
    for (const id of ids.mixes) {
      const ep = eps.get(id);
      mixes.push({ mixer: ep.peer_id, outputs: await texts(id, 'OUTBOX'), proof: proofText(ep) });
    }
    const shares = [];
    for (const id of ids.decryptions) shares.push(...(await texts(id, 'OUTBOX')));
    return zeusAssembleElection(
      eps.get(ids.entry).endpoint_params,
      await texts(ids.entry, 'ACCEPTED'),
      mixes,
      shares,
      await texts(ids.result, 'OUTBOX'),
    );
  }

  /**
   * The cycle's output once agreed, else null: `[{recipient, text, bytes, spoiled}]`
   * in OUTBOX order. Zeus plaintexts are hex-decoded into `bytes`; a spoiled ballot
   * (`spoiled:<hex>`) has `spoiled: true` and `bytes: null`.
   */
  async results(cycle) {
    check('MixnetSender.results', [CYCLE], [cycle]);
    const id = this.ids(cycle).result;
    let ep;
    try {
      ep = await this.client.endpoint(id);
    } catch (e) {
      if (e.status === 404) return null;
      throw e;
    }
    if (ep.status !== 'PROCESSED') return null;
    const out = await this.client.messages(id, 'OUTBOX');
    return out.map((m) => {
      if (this.spec.backend === 'ZEUS') {
        const o = zeusParseOutcome(m.text);
        return { recipient: m.recipient, text: m.text, bytes: o.bytes, spoiled: o.spoiled };
      }
      return {
        recipient: m.recipient,
        text: m.text,
        bytes: new TextEncoder().encode(m.text),
        spoiled: false,
      };
    });
  }
}
