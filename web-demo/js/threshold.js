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

/** What the key generation's endpoints say, while it runs. */
function dkgProgress(name, eps, n) {
  const dealings = eps.get(`${name}-dkg-dealings`);
  const verdicts = eps.get(`${name}-dkg-verdicts`);
  if (!dealings) return 'The trustees are agreeing on the key generation.';
  if (dealings.status === 'OPEN') {
    return `Dealings: ${dealings.inbox_count} of ${n} trustees have dealt. The key generation needs every trustee: ` +
      'a trustee that never deals keeps the election from starting (no ballot is cast yet).';
  }
  if (!verdicts || verdicts.status === 'OPEN') {
    return `Every trustee dealt; verdicts: ${verdicts?.inbox_count ?? 0} of ${n} trustees have checked their shares.`;
  }
  return 'Every trustee gave its verdict; the election key is being computed by every trustee.';
}

/**
 * Follow the election `spec` (joint peer `joint`, owners in order) as the trustee
 * `me` until its tally is published; `t`: the threshold.
 */
export async function watchThreshold(spec, joint, owners, me, t) {
  const n = owners.length;
  const j = owners.indexOf(me) + 1;
  const name = spec.name;
  const ids = pmx.endpointIds(spec, 1, owners);
  let key = null;
  document.body.dataset.trustee = String(j);
  for (;;) {
    let eps;
    try {
      eps = await endpointsOf([joint, me, owners[0]]);
    } catch {
      await sleep(1500);
      continue;
    }
    if (!key) {
      const k = eps.get(`${name}-dkg-key`);
      if (k?.status === 'PROCESSED') {
        const out = await apiList(`/panoramix/messages/?endpoint_id=${encodeURIComponent(k.endpoint_id)}&box=OUTBOX`);
        key = JSON.parse(out[0].text);
        const mine = key.qualified.includes(j)
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
      const mix = eps.get(ids.mixes[j - 1]);
      const decr = eps.get(ids.decryptions[j - 1]);
      const combine = eps.get(ids.result);
      if (mix?.status === 'PROCESSED') document.body.dataset.mixed = '1';
      if (combine?.status === 'PROCESSED') {
        const box = (id, b) => apiList(`/panoramix/messages/?endpoint_id=${encodeURIComponent(id)}&box=${b}`);
        const taken = new Set((await box(combine.endpoint_id, 'ACCEPTED')).map((m) => m.text));
        // the trustees whose published partial decryptions the combination took
        const used = [];
        for (const [i, id] of ids.decryptions.entries()) {
          if ((await box(id, 'OUTBOX')).some((m) => taken.has(m.text))) used.push(i + 1);
        }
        say('#tally-status', `The count is published: it combined the partial decryptions of trustees ${used.join(', ')} ` +
          `(${used.length} of ${n}; ${t} needed).` + (used.includes(j) ? '' : ' This trustee\'s was not needed.'), 'done');
        return;
      }
      if (decr?.status === 'PROCESSED') {
        say('#tally-status', `Your partial decryption is published; the count needs ${t} of the ${n} trustees' partial decryptions.`, 'decrypted');
      } else if (mix?.status === 'PROCESSED') {
        say('#tally-status', 'Your shuffle is published. Your partial decryption comes once the last trustee has shuffled: ' +
          `any ${t} trustees' partial decryptions suffice.`, 'mixed');
      } else {
        say('#tally-status', 'The ballot box is open; the tally starts when it closes.', 'waiting');
      }
    }
    await sleep(1000);
  }
}
