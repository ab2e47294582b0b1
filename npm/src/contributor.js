// The contributor helper (one processing step of an own endpoint, as the native
// agent does it) and a sender for a mix-net (Sphinx packets or Zeus ballots).
import { PanoramixError } from './errors.js';
import * as a from './args.js';
import { check, optional } from './args.js';
import { clientHost, PanoramixClient } from './client.js';
import {
  PreparedBallot,
  SphinxRoute,
  TRUSTEE_KEY_SESSION,
  zeusParseOutcome,
  zeusPrepareBallot,
} from './index.js';
import { ContributorMachine, zeusAssembleElection } from './processing.js';

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
 * A contributor of one mix-net: the contributor protocol's state machine (the same
 * Rust code as the native agent, from the contributor module) driven over `client`.
 * It agrees on each cycle's endpoints with the other owners, closes, processes its
 * own endpoints with `secrets` (`{mix}` for SPHINXMIX, `{trustee}` for ZEUS, hex),
 * verifies and co-signs what co-owners propose, and moves from cycle to cycle. This
 * class only sends the machine's requests, hands `onSave` the state to store (the
 * machine waits for it) and reports events to `onEvent`.
 */
export class Contributor {
  #machine;
  #host;
  #onSave;
  #seen = 0;
  #onEvent;

  /**
   * `options`: `joint` (the mix-net's peer id) or `state` (a state saved by
   * `onSave`, object or JSON text), `backend` (default: from the secrets),
   * `maxCycles` (0: no limit), `onSave(stateText)`, `onEvent(text)`, `seed` (64 hex:
   * fixed randomness, to replay a recorded run).
   */
  constructor(secrets, client, options) {
    check(
      'new Contributor',
      [
        ['secrets', optional(a.backendSecrets)],
        CLIENT,
        [
          'options',
          a.shape('options ({joint | state, backend?, maxCycles?, onSave?, onEvent?, seed?})', {
            joint: optional(a.nonEmptyString),
            state: optional(a.anyOf(a.object, a.string)),
            backend: optional(a.oneOf('SPHINXMIX', 'ZEUS')),
            maxCycles: optional(a.count),
            onSave: optional(a.func),
            onEvent: optional(a.func),
            seed: optional(a.hex),
          }),
        ],
      ],
      [secrets, client, options],
    );
    if (!options.joint === !options.state) {
      throw new PanoramixError(
        'invalid_argument',
        `new Contributor: options must be {joint} or {state} (exactly one), got ${
          options.joint ? 'both' : 'neither'
        }`,
      );
    }
    const s = secrets ?? {};
    const backend = options.backend ?? (s.trustee ? 'ZEUS' : 'SPHINXMIX');
    const state = options.state ?? { mixnet: options.joint, cycle: 1, max_cycles: options.maxCycles ?? 0 };
    this.client = client;
    this.#host = clientHost.get(client);
    this.#onSave = options.onSave;
    this.#onEvent = options.onEvent;
    const machineSecrets = {};
    if (s.mix) machineSecrets.mix = s.mix;
    if (s.trustee) machineSecrets.trustee = s.trustee;
    this.#machine = new ContributorMachine(
      this.#host.secret,
      client.controllerId,
      backend,
      machineSecrets,
      state,
      options.seed,
    );
  }

  /** The state as of the last completed step (`{mixnet, cycle, completed, …}`). */
  get state() {
    return this.#machine.state();
  }

  /** The cycle being worked on. */
  get cycle() {
    return this.state.cycle;
  }

  /** Milliseconds spent in the backend's cryptography (0 where no clock is given). */
  get cryptoMillis() {
    return this.#machine.cryptoMillis();
  }

  /**
   * Do what can be done now (one step of the machine): `{acted, finished, events}`.
   * Throws `step_failed` (nothing of the step is kept; the next step starts over) or
   * `transport`.
   */
  async step() {
    check('Contributor.step', [], [...arguments]);
    const m = this.#machine;
    m.beginStep(Math.floor(Date.now() / 1000));
    for (;;) {
      const p = m.poll();
      if (p.kind === 'http') {
        const r = await this.#host.raw(p.method, p.path, p.body);
        m.handle(r.status, r.text);
      } else if (p.kind === 'save') {
        if (this.#onSave) await this.#onSave(p.state);
        m.saved();
      } else if (p.kind === 'done') {
        for (const e of p.events) this.#onEvent?.(e);
        return { acted: p.acted, finished: p.finished, events: p.events };
      } else {
        throw new PanoramixError(p.code, p.message);
      }
    }
  }

  /**
   * After a step that did nothing: wait for the controller's next change (its
   * change feed, `GET /panoramix/changes/`, docs/protocol.md §5.10), at most
   * `options.maxMs` (default 1000) and at least 20 ms. Where the controller
   * answers at once (a Worker) or has no feed, wait `options.idleMs` (default
   * 150) instead, as a poll.
   */
  async waitForChange(options = {}) {
    check(
      'Contributor.waitForChange',
      [['options', a.shape('options ({idleMs?, maxMs?})', { idleMs: optional(a.count), maxMs: optional(a.count) })]],
      [options],
    );
    const idle = options.idleMs ?? 150;
    const max = Math.min(options.maxMs ?? 1000, 25000);
    const t0 = Date.now();
    let floor = idle;
    try {
      const r = await this.#host.raw('GET', `/panoramix/changes/?after=${this.#seen}&wait=${max}`, null);
      if (r.status === 200) {
        const d = JSON.parse(r.text).data;
        this.#seen = d.seq;
        if (d.changed || Date.now() - t0 >= max / 2) floor = Math.min(idle, 20);
      }
    } catch {
      // unreachable for now: the next step says so; here, a poll's wait
    }
    const rest = floor - (Date.now() - t0);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }

  /**
   * Step until the machine says it is finished (`maxCycles` cycles done, or this
   * contributor left the mix-net) or `options.signal` aborts; after a step that
   * did nothing, waits for the controller's next change ([`waitForChange`], or
   * `idleMs`, default 150, where the controller cannot say). A failed step is handed to
   * `options.onError` and retried after a growing pause (without `onError`, the
   * first failure ends the run).
   */
  async run(options = {}) {
    check(
      'Contributor.run',
      [
        [
          'options',
          a.shape('options ({signal?, idleMs?, onError?})', {
            signal: optional(a.having('an AbortSignal', { aborted: a.boolean })),
            idleMs: optional(a.count),
            onError: optional(a.func),
          }),
        ],
      ],
      [options],
    );
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    let failures = 0;
    for (;;) {
      if (options.signal?.aborted) return this.state;
      let st;
      try {
        st = await this.step();
        failures = 0;
      } catch (e) {
        if (!options.onError) throw e;
        options.onError(e);
        failures += 1;
        await pause(Math.min(5000, 100 * 2 ** failures));
        continue;
      }
      if (st.finished) return this.state;
      if (!st.acted) await this.waitForChange({ idleMs: options.idleMs ?? 150 });
    }
  }

  /** Free the machine's memory (the object is unusable afterwards). */
  free() {
    this.#machine.free();
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
   * description (`election: {question, options, voters}`): what a ballot binds
   * (session, key session, election key, answers, voter list, SK rounds). The booth endpoint's
   * `endpoint_params` are authoritative: pass them to `prepareBallot` when you have
   * them (a graph template may differ; with threshold trustees the election key is
   * the key generation's, only in the booth's parameters).
   */
  zeusParams(cycle) {
    check('MixnetSender.zeusParams', [CYCLE], [cycle]);
    // every field the booth's definition has that a ballot binds (its signature
    // covers the definition's digest: key session and SK rounds included)
    const p = {
      session_id: `${this.joint}/${cycle}`,
      election_public_key: this.spec.election_public_key,
      trustee_key_session: TRUSTEE_KEY_SESSION,
      sk_rounds: this.spec.params?.SK_ROUNDS ?? 128,
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
   * `election::collect` does, and verified; null until every stage is PROCESSED
   * (threshold trustees: an absent trustee's partial decryption never is, and the
   * shares are those the combination took, its ACCEPTED box).
   * Needs the contributor module (`initContributor()` in browsers).
   */
  async electionTranscript(cycle) {
    check('MixnetSender.electionTranscript', [CYCLE], [cycle]);
    if (this.route) throw new PanoramixError('invalid_argument', 'not a ZEUS mix-net');
    const c = this.client;
    const ids = this.ids(cycle);
    const threshold = this.spec.params?.THRESHOLD !== undefined;
    const eps = new Map();
    // threshold trustees: the shares are the combination's ACCEPTED box (an
    // absent trustee never makes its partial decryption)
    const decrs = threshold ? [] : ids.decryptions;
    const stages = [ids.entry, ...ids.mixes, ...decrs, ids.result];
    for (const id of stages) {
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
    if (threshold) shares.push(...(await texts(ids.result, 'ACCEPTED')));
    else for (const id of ids.decryptions) shares.push(...(await texts(id, 'OUTBOX')));
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
