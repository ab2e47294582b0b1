// How browser contributors form a mix-net among themselves, without invitations:
// each registers an individual peer named `<name>/contributor/<id prefix>` that
// publishes its backend key; once `count` of them are registered, the owners are
// the first `count` by peer id; the first owner proposes the joint peer (the
// mix-net description in its crypto_params) in a negotiation `joint:<name>`
// restricted to the owners; every other owner checks the proposal and co-signs; the
// first owner creates the joint peer. The protocol is the package's formation API
// (the Rust formation procedures in WebAssembly, as the native wizards run them):
// registering (`registerContributor`), the proposal of the joint peer with its
// description completed from the owners' checked keys (`proposeJointAmong`: the
// Zeus election key from the verified trustee key shares), each owner's check of
// the proposal against the description it expects, joint key and election
// definition included (`confirmJoint`), and creating the agreed joint peer
// (`finishMixnet`). This file only chooses the owners and the description. It runs
// in a Web Worker of its own (this same module, started by `formMixnet`): the key
// checks stay off the page's main thread, and the procedures' lookups of what
// does not exist yet (a 404 is an answer to them) are not logged as the page's
// errors. An election's definition
// (`crypto_params.election`: question, options, the voters' public credentials)
// must be the one each trustee was given: it is part of the description it checks.
import {
  PanoramixClient,
  confirmJoint,
  finishMixnet,
  init,
  initContributor,
  proposeJointAmong,
  registerContributor,
} from '../vendor/panoramix/index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The default parameters of a backend. */
export function defaultParams(backend) {
  return backend === 'ZEUS' ? { MIX_PROOF: 'TW', SK_ROUNDS: 128 } : { BODY_LEN: 1024, MAX_HOPS: 5 };
}

async function allPeers(client) {
  const out = [];
  let after = null;
  for (;;) {
    const q = after === null ? '' : `&after=${encodeURIComponent(after)}`;
    const r = await client.get(`/panoramix/peers/?limit=1000${q}`);
    out.push(...(r.data ?? []));
    if (r.next === null || r.next === undefined) return out;
    after = r.next;
  }
}

/**
 * Register (if needed), then form the mix-net `opts.name` with `opts.count`
 * contributors, as the identity `identity` (secret hex) at the controller
 * `controller`, in a worker. `opts`: {name, backend, count, sizeMin, sizeMax, terms,
 * election? ({question, options, voters}), threshold? (ZEUS: any this many of the
 * `trustees` trustees apart from the `count` mixers tally; a key generation makes the
 * election key), trustees? (their number), role? ('trustee': this page is one of
 * them; otherwise a mixer), cryptoParams (this contributor's
 * published key), onProgress(text)}. Resolves the joint peer; rejects with the
 * error's `message`, `code` and (a controller refusal) `status`.
 */
export function formMixnet(identity, controller, opts) {
  const { onProgress, ...rest } = opts;
  const worker = new Worker(new URL('./formation.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'progress') {
        onProgress?.(m.text);
        return;
      }
      worker.terminate();
      if (m.type === 'done') resolve(m.joint);
      else reject(Object.assign(new Error(m.message), { code: m.code, status: m.status }));
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`the formation worker failed: ${e.message}`));
    };
    worker.postMessage({ identity, controller, opts: rest });
  });
}

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  self.onmessage = async (ev) => {
    const { identity, controller, opts } = ev.data;
    try {
      await Promise.all([init(), initContributor()]); // the formation procedures run in the contributor module
      const client = await PanoramixClient.connect(identity, controller);
      const onProgress = (text) => self.postMessage({ type: 'progress', text });
      self.postMessage({ type: 'done', joint: await form(client, { ...opts, onProgress }) });
    } catch (e) {
      self.postMessage({ type: 'error', message: e?.message ?? String(e), code: e?.code, status: e?.status });
    }
  };
}

/** The registered peers whose names start with `prefix` (of `backend`), by peer id. */
const registered = (peers, prefix, backend) =>
  peers.filter((p) => p.name.startsWith(prefix) && p.crypto_backend === backend).map((p) => p.peer_id).sort();

/**
 * `formMixnet`'s work, in the worker, over `client`. A threshold election's
 * trustees (`opts.role === 'trustee'`) are peers apart from the mixers: each
 * registers `<name>/trustee/<id prefix>` and waits for the mixers, who form the
 * election once `opts.trustees` trustees are registered (the first by peer id are
 * its `TRUSTEES`).
 */
async function form(client, opts) {
  const say = opts.onProgress ?? (() => {});
  const trustee = opts.role === 'trustee';
  const prefix = `${opts.name}/contributor/`;
  const trusteePrefix = `${opts.name}/trustee/`;
  let peers = await allPeers(client);
  if (!peers.some((p) => p.peer_id === client.id)) {
    say(`registering this ${trustee ? 'trustee' : 'contributor'} and its public key`);
    await registerContributor(client, (trustee ? trusteePrefix : prefix) + client.id.slice(0, 8), opts.backend, opts.cryptoParams);
  }
  // the mix-net may exist already (a reload)
  let joint = peers.find((p) => p.name === opts.name && (p.owners ?? []).length);
  let proposed = false;
  let signed = false;
  while (!joint) {
    peers = await allPeers(client);
    joint = peers.find((p) => p.name === opts.name && (p.owners ?? []).length);
    if (joint) break;
    const trustees = opts.threshold ? registered(peers, trusteePrefix, opts.backend) : [];
    if (trustee) {
      say(`waiting for the mixers to form the election (${trustees.length}/${opts.trustees} trustees registered)`);
      await sleep(300);
      continue;
    }
    const candidates = registered(peers, prefix, opts.backend);
    if (candidates.length < opts.count || trustees.length < (opts.trustees ?? 0)) {
      const t = opts.threshold ? `, trustees: ${trustees.length}/${opts.trustees} registered` : '';
      say(`waiting for contributors: ${candidates.length}/${opts.count} joined${t}`);
      await sleep(300);
      continue;
    }
    const owners = candidates.slice(0, opts.count);
    if (!owners.includes(client.id)) throw new Error(`the mix-net ${opts.name} already has its ${opts.count} contributors`);
    if (!proposed && !signed) say(`${opts.count}/${opts.count} joined; agreeing on the mix-net description`);
    // the description every owner expects (the election: the one this trustee was given)
    const threshold = opts.threshold ? { THRESHOLD: opts.threshold, TRUSTEES: trustees.slice(0, opts.trustees) } : {};
    const spec = {
      name: opts.name,
      backend: opts.backend,
      params: { ...defaultParams(opts.backend), ...threshold },
      size_min: opts.sizeMin,
      size_max: opts.sizeMax,
      terms: opts.terms ?? '',
    };
    if (opts.election) spec.election = opts.election;
    if (owners[0] === client.id) {
      if (!proposed) {
        await proposeJointAmong(client, spec, owners);
        proposed = true;
        say('proposed the mix-net description to the other contributors');
      }
      const id = await finishMixnet(client, opts.name);
      if (id) say(`created the mix-net ${opts.name}`);
    } else if (!signed && (await confirmJoint(client, spec))) {
      signed = true;
      say('checked and co-signed the mix-net description');
    }
    await sleep(200);
  }
  if (trustee && !(joint.crypto_params?.params?.TRUSTEES ?? []).includes(client.id)) {
    throw new Error(`the election ${opts.name} already has its ${opts.trustees} trustees`);
  }
  return joint;
}
