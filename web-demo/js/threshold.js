// A threshold trustee's view of its election (docs/zeus.md §3.5), on the trustee
// page: the key generation's progress (dealings, verdicts, the key everyone
// recomputes), then the tally's (this trustee's mix, its partial decryption, the
// combination closing with t of the n trustees). Read-only: the agent in the
// worker does the work; this polls the controller's public lists (lists only, so
// nothing that does not exist yet is fetched) and says where the election stands.
import { $, pmx, apiList, short } from './common.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fingerprint people can compare: 32 hex digits of SHA-256, in groups of four. */
export function keyFingerprint(hex) {
  return pmx.sha256Hex(new TextEncoder().encode(hex)).slice(0, 32).match(/..../g).join(' ');
}

/** The threshold of a page's fields: empty = every trustee; else 1 ≤ t ≤ n. */
export function parseThreshold(text, n) {
  const s = text.trim();
  if (!s) return null;
  const t = Number(s);
  if (!Number.isSafeInteger(t) || t < 1 || t > n) {
    throw new Error(`the number of trustees needed to count must be between 1 and ${n} (the number of trustees)`);
  }
  return t;
}

/** Show the threshold card with its t and n. */
export function showThresholdCard(t, n) {
  for (const e of document.querySelectorAll('.t-count')) e.textContent = String(t);
  for (const e of document.querySelectorAll('.n-count')) e.textContent = String(n);
  $('#threshold-card').hidden = false;
}

async function endpointsOf(peers) {
  const all = new Map();
  for (const p of new Set(peers)) {
    for (const e of await apiList(`/panoramix/endpoints/?peer_id=${encodeURIComponent(p)}`)) all.set(e.endpoint_id, e);
  }
  return all;
}

function say(id, text, state) {
  const p = $(id);
  if (p.textContent !== text) p.textContent = text;
  if (state) document.body.dataset[id === '#dkg-status' ? 'dkg' : 'tally'] = state;
}

/**
 * What the key generation's endpoints say, while it runs: each trustee's dealing
 * and verdict endpoints (on its own peer), closed once it has posted.
 */
function dkgProgress(name, eps, n) {
  const done = (stage) => Array.from({ length: n }, (_, j) => eps.get(`${name}-dkg-${stage}${j}`))
    .filter((e) => e && e.status !== 'OPEN').length;
  const dealt = done('deal');
  if (dealt < n) {
    return `Dealings: ${dealt} of ${n} trustees have dealt. The key generation needs every trustee: ` +
      'a trustee that never deals keeps the election from starting (no ballot is cast yet).';
  }
  const judged = done('verdict');
  if (judged < n) return `Every trustee dealt; verdicts: ${judged} of ${n} trustees have checked their shares.`;
  return 'Every trustee gave its verdict; the election key is being computed by every trustee.';
}

/**
 * Follow the election `spec` (joint peer `joint`, owners in order) as `me` (one of
 * its trustees, or a contributor that shuffles) until its tally is published; `t`:
 * the threshold. The trustees are `spec.params.TRUSTEES` (apart from the owners),
 * or the owners.
 */
export async function watchThreshold(spec, joint, owners, me, t) {
  const trustees = spec.params?.TRUSTEES ?? owners;
  const n = trustees.length;
  const j = trustees.indexOf(me) + 1; // 0: a contributor that only shuffles
  const name = spec.name;
  const ids = pmx.endpointIds(spec, 1, owners);
  const decryptions = trustees.map((_, i) => `${name}-1-decr${i}`);
  const myMix = ids.mixes[owners.indexOf(me)];
  let key = null;
  if (j) document.body.dataset.trustee = String(j);
  // (an absent trustee's partial decryption was never made: its boxes list empty)
  const box = (id, b) => apiList(`/panoramix/messages/?endpoint_id=${encodeURIComponent(id)}&box=${b}`);
  for (;;) {
    let eps;
    try {
      // every trustee's own endpoints (key generation, partial decryption)
      eps = await endpointsOf([joint, owners[0], ...trustees]);
    } catch {
      await sleep(1500);
      continue;
    }
    if (!key) {
      const k = eps.get(`${name}-dkg-key`);
      if (k?.status === 'PROCESSED') {
        key = JSON.parse((await box(k.endpoint_id, 'OUTBOX'))[0].text);
        const mine = !j
          ? 'This page shuffles; the trustees count.'
          : key.qualified.includes(j)
            ? `You are trustee ${j}, qualified; your verification key ${short(key.verification_keys[j - 1])}.`
            : `You are trustee ${j}, and your dealing was disqualified: you hold no share and cannot help count.`;
        const dq = key.disqualified.length ? ` Disqualified: ${key.disqualified.map(([d, why]) => `trustee ${d} (${why})`).join('; ')}.` : '';
        say('#dkg-status', `Key generation complete: election key ${keyFingerprint(key.election_public_key)}, ` +
          `${key.qualified.length} of ${n} trustees qualified.${dq} ${mine}`, 'done');
      } else {
        say('#dkg-status', dkgProgress(name, eps, n), 'running');
      }
    }
    if (key) {
      const mix = myMix ? eps.get(myMix) : null;
      const decr = j ? eps.get(decryptions[j - 1]) : null;
      const combine = eps.get(ids.result);
      const lastMix = eps.get(ids.mixes[ids.mixes.length - 1]);
      if (mix?.status === 'PROCESSED') document.body.dataset.mixed = '1';
      if (combine?.status === 'PROCESSED') {
        const taken = new Set((await box(combine.endpoint_id, 'ACCEPTED')).map((m) => m.text));
        // the trustees whose published partial decryptions the combination took
        const used = [];
        for (const [i, id] of decryptions.entries()) {
          if ((await box(id, 'OUTBOX')).some((m) => taken.has(m.text))) used.push(i + 1);
        }
        const notMine = j && !used.includes(j) ? ' This trustee\'s was not needed.' : '';
        say('#tally-status', `The count is published: it combined the partial decryptions of trustees ${used.join(', ')} ` +
          `(${used.length} of ${n}; ${t} needed).${notMine}`, 'done');
        return;
      }
      if (decr?.status === 'PROCESSED') {
        say('#tally-status', `Your partial decryption is published; the count needs ${t} of the ${n} trustees' partial decryptions.`, 'decrypted');
      } else if (lastMix?.status === 'PROCESSED') {
        say('#tally-status', `The ballots are shuffled; the trustees are decrypting: any ${t} trustees' partial decryptions suffice.`, 'mixed');
      } else if (mix?.status === 'PROCESSED') {
        say('#tally-status', 'Your shuffle is published; the other contributors are shuffling.', 'mixed');
      } else {
        say('#tally-status', 'The ballot box is open; the tally starts when it closes and the contributors have shuffled.', 'waiting');
      }
    }
    await sleep(1000);
  }
}
