// A fetch-based client of the PANORAMIX controller API that signs every request,
// mirroring the native `panoramix-client` crate: `info` carries resource,
// operation, a 128-bit nonce, the Unix time and the controller's id; the envelope
// is signed over canonical({data, info, by_consensus?}).
import { PanoramixError } from './errors.js';
import * as a from './args.js';
import { check, optional } from './args.js';
import {
  actionBody,
  contributionText,
  jointKeyData,
  jointPeerId,
  keypairFromSecret,
  randomHex,
  signContribution,
  signEnvelope,
} from './index.js';

// argument checks shared by the methods (see args.js)
const CONNECT = [
  ['secret', a.secret],
  ['baseUrl', a.text('the controller URL (a non-empty string)')],
  ['options', optional(a.shape('options ({fetch?})', { fetch: optional(a.func) }))],
];
const PATH = a.text('a path (a string)');
const ID = (name) => [name, a.nonEmptyString];
const REQUEST = [
  ['method', a.oneOf('GET', 'POST', 'PUT', 'PATCH', 'DELETE')],
  ['path', PATH],
];
const ENVELOPE = [
  ['data', a.object],
  ['info', a.object],
  ['byConsensus', optional(a.object)],
];
const ACTION = [
  ...REQUEST,
  ['resource', a.string],
  ['operation', a.string],
  ['data', a.object],
  ['extraInfo', optional(a.object)],
];
const AN_ACTION = a.shape('an action ({method, path, data, info})', {
  method: a.string,
  path: a.string,
  data: a.object,
  info: a.object,
});
const ACTIONS = a.arrayOf(AN_ACTION, 'action ({method, path, data, info})');
const REGISTER = [
  ['name', a.string],
  ['role', optional(a.string)],
  ['backend', a.nonEmptyString],
  ['cryptoParams', optional(a.json)],
];

/** The controller refused a request (`status` is the HTTP status). */
/** The media type of a request body to `path`: the box route takes box transfers. */
function mediaType(path) {
  return /^\/panoramix\/boxes\/?(\?|$)/.test(path) ? 'application/vnd.panoramix.box' : 'application/json';
}

export class ApiError extends PanoramixError {
  constructor(status, code, message) {
    check(
      'new ApiError',
      [['status', a.integer], ['code', a.string], ['message', a.string]],
      [status, code, message],
    );
    super(code, `${status} ${code}: ${message}`);
    this.name = 'ApiError';
    this.status = status;
  }
}

/**
 * Package-internal (not exported by the package): what the host of a contributor
 * state machine needs of a client, its identity secret and raw requests whose
 * answer is `{status, text}` whatever the status.
 */
export const clientHost = new WeakMap();

/** A signing client for one peer. */
export class PanoramixClient {
  #secret;
  #fetch;

  /**
   * Connect to the controller at `baseUrl` as the identity with this secret (64
   * hex): reads the controller's id, which every signed request names.
   */
  static async connect(secret, baseUrl, options) {
    check('PanoramixClient.connect', CONNECT, [secret, baseUrl, options]);
    const c = new PanoramixClient(secret, baseUrl, '', options);
    const info = await c.get('/panoramix/controller/');
    const id = info?.data?.controller_id;
    if (typeof id !== 'string') {
      throw new PanoramixError('decode', 'controller info has no controller_id');
    }
    c.controllerId = id;
    return c;
  }

  constructor(secret, baseUrl, controllerId, options) {
    check(
      'new PanoramixClient',
      [CONNECT[0], CONNECT[1], ['controllerId', a.string], CONNECT[2]],
      [secret, baseUrl, controllerId, options],
    );
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.#secret = secret;
    const k = keypairFromSecret(secret);
    this.keyData = k.keyData;
    this.id = k.keyId;
    this.controllerId = controllerId;
    this.#fetch = options?.fetch ?? globalThis.fetch.bind(globalThis);
    clientHost.set(this, { secret, raw: (m, p, b) => this.#raw(m, p, b) });
  }

  /**
   * One request as it is: `{status, text}` (a 429 is retried after its Retry-After).
   * A box upload (docs/api.md "Boxes") goes as the box media type; every box
   * transfer is UTF-8 text, so bodies and answers stay strings.
   */
  async #raw(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      let resp;
      try {
        resp = await this.#fetch(this.baseUrl + path, {
          method,
          headers: body == null ? {} : { 'content-type': mediaType(path) },
          body: body ?? undefined,
        });
      } catch (e) {
        throw new PanoramixError('transport', `cannot reach the controller: ${e?.message ?? e}`, {
          cause: e,
        });
      }
      const text = await resp.text();
      if (resp.status !== 429 || attempt >= 8 || text.includes('"inbox_full"')) {
        return { status: resp.status, text };
      }
      const after = Number(resp.headers.get('retry-after'));
      const wait = Number.isFinite(after) && after > 0 ? after * 1000 : 100 * 2 ** attempt;
      await new Promise((r) => setTimeout(r, Math.min(wait, 5000)));
    }
  }

  async #decode(resp) {
    let body = null;
    const text = await resp.text();
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      if (resp.ok) throw new PanoramixError('decode', `not JSON: ${text.slice(0, 200)}`);
    }
    if (!resp.ok) {
      throw new ApiError(
        resp.status,
        body?.error?.code ?? 'unknown',
        body?.error?.message ?? text.slice(0, 200),
      );
    }
    return body;
  }

  async #request(method, path, body) {
    let resp;
    try {
      resp = await this.#fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
      });
    } catch (e) {
      throw new PanoramixError('transport', `cannot reach the controller: ${e?.message ?? e}`, {
        cause: e,
      });
    }
    return this.#decode(resp);
  }

  /** An unsigned GET. */
  async get(pathAndQuery) {
    check('PanoramixClient.get', [['pathAndQuery', PATH]], [pathAndQuery]);
    return this.#request('GET', pathAndQuery);
  }

  /** `info` for a request: resource, operation, extra fields and freshness. */
  info(resource, operation, extra) {
    check(
      'PanoramixClient.info',
      [['resource', a.string], ['operation', a.string], ['extra', optional(a.object)]],
      [resource, operation, extra],
    );
    return {
      ...extra,
      resource,
      operation,
      nonce: randomHex(16),
      ts: Math.floor(Date.now() / 1000),
      controller: this.controllerId,
    };
  }

  /** A signed envelope `{data, info, by_consensus?, meta}` (not sent). */
  envelope(data, info, byConsensus) {
    check('PanoramixClient.envelope', ENVELOPE, [data, info, byConsensus]);
    return signEnvelope(this.#secret, data, info, byConsensus ?? null);
  }

  /** Sign and send `{data, info, by_consensus?}`. */
  async send(method, path, data, info, byConsensus) {
    check('PanoramixClient.send', [...REQUEST, ...ENVELOPE], [method, path, data, info, byConsensus]);
    return this.#request(method, path, JSON.stringify(this.envelope(data, info, byConsensus)));
  }

  /** A signed request of `resource`/`operation` with fresh info. */
  async call(method, path, resource, operation, data) {
    check('PanoramixClient.call', ACTION.slice(0, 5), [method, path, resource, operation, data]);
    return this.send(method, path, data, this.info(resource, operation));
  }

  // ------------------------------------------------------------ negotiations

  /** Create a negotiation; returns its id. */
  async createNegotiation(title, participants) {
    check(
      'PanoramixClient.createNegotiation',
      [['title', a.string], ['participants', optional(a.hexStrings)]],
      [title, participants],
    );
    const data = { title };
    if (participants) data.participants = participants;
    const r = await this.call('POST', '/panoramix/negotiations/', 'negotiation', 'create', data);
    return r.data.id;
  }

  /** Contribute a canonical text; the answer's `consensus` is set when it closed. */
  async contribute(negotiationId, text) {
    check('PanoramixClient.contribute', [ID('negotiationId'), ['text', a.string]], [negotiationId, text]);
    // bound to the negotiation (label contribution-in over {negotiation_id, text})
    const signature = signContribution(this.#secret, negotiationId, text);
    const r = await this.call('POST', '/panoramix/contributions/', 'contribution', 'create', {
      negotiation_id: negotiationId,
      text,
      signature,
    });
    return r.data;
  }

  async negotiation(id) {
    check('PanoramixClient.negotiation', [ID('id')], [id]);
    return (await this.get(`/panoramix/negotiations/${encodeURIComponent(id)}/`)).data;
  }

  async contributions(negotiationId) {
    check('PanoramixClient.contributions', [ID('negotiationId')], [negotiationId]);
    // pages end at the controller's byte budget: follow `next`
    const out = [];
    let after = 0;
    for (;;) {
      const r = await this.get(
        `/panoramix/contributions/?negotiation=${encodeURIComponent(negotiationId)}&after=${after}`,
      );
      out.push(...(r.data ?? []));
      if (typeof r.next !== 'number') return out;
      after = r.next;
    }
  }

  /** An action for a negotiation: its data and info (nonce, time) are fixed now. */
  action(method, path, resource, operation, data, extraInfo) {
    check('PanoramixClient.action', ACTION, [method, path, resource, operation, data, extraInfo]);
    return { method, path, data, info: this.info(resource, operation, extraInfo ?? {}) };
  }

  /** The contribution text for actions (one: its body; several: a list). */
  static textFor(actions, accept = true, extraMeta = {}) {
    check(
      'PanoramixClient.textFor',
      [['actions', ACTIONS], ['accept', a.boolean], ['extraMeta', a.object]],
      [actions, accept, extraMeta],
    );
    const bodies = actions.map((a) => actionBody(a.data, a.info));
    const body = bodies.length === 1 ? bodies[0] : bodies;
    return contributionText(body, { ...extraMeta, accept: accept ? 1 : 0 });
  }

  /** Agree with oneself on `actions`; returns the consensus id. */
  async selfConsensus(title, actions) {
    check('PanoramixClient.selfConsensus', [['title', a.string], ['actions', ACTIONS]], [title, actions]);
    const neg = await this.createNegotiation(title, [this.id]);
    const r = await this.contribute(neg, PanoramixClient.textFor(actions, true));
    if (typeof r.consensus !== 'string') {
      throw new PanoramixError('decode', 'self-consensus did not close');
    }
    return r.consensus;
  }

  /** Apply an agreed action (part `part` of a list body). */
  async apply(action, consensusId, part) {
    check(
      'PanoramixClient.apply',
      [['action', AN_ACTION], ID('consensusId'), ['part', optional(a.count)]],
      [action, consensusId, part],
    );
    const bc = { consensus_id: consensusId, consensus_type: 'structural' };
    if (part !== undefined && part !== null) bc.consensus_part = part;
    return this.send(action.method, action.path, action.data, action.info, bc);
  }

  // ------------------------------------------------------------ peers

  registerAction(name, role, backend, cryptoParams) {
    check('PanoramixClient.registerAction', REGISTER, [name, role, backend, cryptoParams]);
    const data = {
      peer_id: this.id,
      name,
      key_data: this.keyData,
      key_type: 'ed25519',
      crypto_backend: backend,
      crypto_params: cryptoParams ?? {},
      owners: [],
      status: 'READY',
    };
    if (role) data.role = role;
    return this.action('POST', '/panoramix/peers/', 'peer', 'create', data);
  }

  /** Register this key as an individual peer, by self-consensus. */
  async register(name, role, backend, cryptoParams) {
    check('PanoramixClient.register', REGISTER, [name, role, backend, cryptoParams]);
    const a = this.registerAction(name, role, backend, cryptoParams);
    const cid = await this.selfConsensus(`register ${name}`, [a]);
    return (await this.apply(a, cid)).data;
  }

  /** The action creating a joint peer owned by `owners` (in route order). */
  jointPeerAction(name, owners, backend, cryptoParams) {
    check(
      'PanoramixClient.jointPeerAction',
      [REGISTER[0], ['owners', a.hexStrings], REGISTER[2], REGISTER[3]],
      [name, owners, backend, cryptoParams],
    );
    const keyData = jointKeyData(name, owners);
    const data = {
      peer_id: jointPeerId(keyData),
      name,
      key_data: keyData,
      key_type: 'ed25519',
      crypto_backend: backend,
      crypto_params: cryptoParams ?? {},
      owners,
      status: 'READY',
    };
    return this.action('POST', '/panoramix/peers/', 'peer', 'create', data);
  }

  async peer(id) {
    check('PanoramixClient.peer', [ID('id')], [id]);
    return (await this.get(`/panoramix/peers/${encodeURIComponent(id)}/`)).data;
  }

  // ------------------------------------------------------------ endpoints

  endpointAction(spec) {
    check('PanoramixClient.endpointAction', [['spec', a.object]], [spec]);
    return this.action('POST', '/panoramix/endpoints/', 'endpoint', 'create', {
      ...spec,
      status: 'OPEN',
    });
  }

  transitionAction(endpointId, onLastConsensusId, status, hashes, proof) {
    check(
      'PanoramixClient.transitionAction',
      [
        ID('endpointId'),
        ['onLastConsensusId', a.string],
        ['status', a.nonEmptyString],
        ['hashes', a.hexStrings],
        ['proof', optional(a.json)],
      ],
      [endpointId, onLastConsensusId, status, hashes, proof],
    );
    const data = { endpoint_id: endpointId, status, message_hashes: hashes };
    if (proof !== undefined && proof !== null) data.process_proof = proof;
    return this.action(
      'PATCH',
      `/panoramix/endpoints/${endpointId}/`,
      'endpoint',
      'partial_update',
      data,
      { id: endpointId, on_last_consensus_id: onLastConsensusId },
    );
  }

  async endpoint(id) {
    check('PanoramixClient.endpoint', [ID('id')], [id]);
    return (await this.get(`/panoramix/endpoints/${encodeURIComponent(id)}/`)).data;
  }

  // ------------------------------------------------------------ messages

  async postMessage(endpointId, box, sender, recipient, text, serial) {
    check(
      'PanoramixClient.postMessage',
      [
        ID('endpointId'),
        ['box', a.nonEmptyString],
        ['sender', a.string],
        ['recipient', a.string],
        ['text', a.string],
        ['serial', optional(a.count)],
      ],
      [endpointId, box, sender, recipient, text, serial],
    );
    const data = { endpoint_id: endpointId, box, sender, recipient, text };
    if (serial !== undefined && serial !== null) data.serial = serial;
    return (await this.call('POST', '/panoramix/messages/', 'message', 'create', data)).data;
  }

  /** Every message of a box, following the pages. */
  async messages(endpointId, box) {
    check('PanoramixClient.messages', [ID('endpointId'), ['box', a.nonEmptyString]], [endpointId, box]);
    const out = [];
    let after = 0;
    for (;;) {
      const q = new URLSearchParams({
        endpoint_id: endpointId,
        box,
        after: String(after),
        limit: '1000',
      });
      const r = await this.get(`/panoramix/messages/?${q}`);
      out.push(...(r.data ?? []));
      if (typeof r.next !== 'number') return out;
      after = r.next;
    }
  }
}
