// An election's definition as the trustees agree on it (the joint peer's
// `crypto_params.election`: question, options, voters), and the organiser's voter
// credentials: generated in the page (Belenios-style: a signing key per voter, its
// public part on the voter list), handed out as a file or as booth links carrying
// the secret in the URL fragment (`#credential=`), which never reaches a server.
import { pmx, pageLink } from './common.js';
import { isRistrettoPoint } from './ristretto.js';

const HEX64 = /^[0-9a-f]{64}$/;
/**
 * The controller takes a peer's crypto_params up to 64 KiB (compact JSON): the
 * election definition leaves 1 KiB for the rest of the mix-net description.
 */
export const MAX_CRYPTO_PARAMS = 64 * 1024;
const MAX_DEFINITION = MAX_CRYPTO_PARAMS - 1024;
export const MAX_VOTERS = 900;

const good = new Set(); // credentials already checked (the list is re-read on every edit)
function isCredential(v) {
  if (good.has(v)) return true;
  if (!isRistrettoPoint(v)) return false;
  good.add(v);
  return true;
}

/** The options of a comma-separated list, checked as the core checks `answers`. */
export function parseOptions(text) {
  const options = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (options.length === 0) throw new Error('an election needs at least one option');
  if (options.length > 64) throw new Error('an election has at most 64 options');
  const enc = new TextEncoder();
  for (const o of options) {
    const n = enc.encode(o).length;
    if (n > 29) throw new Error(`the option "${o}" is too long (${n} bytes; at most 29)`);
  }
  if (new Set(options).size !== options.length) throw new Error('two options are the same');
  return options;
}

/**
 * Public credentials from text: a JSON voter list or credentials file
 * (`{voters: [...]}`, entries strings or `{credential}`), or hex credentials
 * separated by white space or commas. Lowercase, checked, without duplicates.
 */
export function parseVoters(text) {
  let items;
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    let j;
    try {
      j = JSON.parse(t);
    } catch (e) {
      throw new Error(`the voter list is not readable JSON: ${e.message}`);
    }
    const list = Array.isArray(j) ? j : j.voters;
    if (!Array.isArray(list)) throw new Error('the voter list file has no "voters" list');
    items = list.map((v) => (typeof v === 'string' ? v : v?.credential));
  } else {
    items = t.split(/[\s,]+/).filter(Boolean);
  }
  const voters = items.map((v) => String(v ?? '').toLowerCase());
  const bad = voters.find((v) => !HEX64.test(v));
  if (bad !== undefined) throw new Error(`"${bad.slice(0, 20)}" is not a public credential (64 hex digits)`);
  // as the verifier checks the definition: every credential is a group element
  const i = voters.findIndex((v) => !isCredential(v));
  if (i >= 0) throw new Error(`voter ${i + 1}'s credential ${voters[i].slice(0, 16)}… is not a valid public credential (not a group element)`);
  if (new Set(voters).size !== voters.length) throw new Error('a credential appears twice in the voter list');
  return voters;
}

/** The election definition the trustees sign. */
export function electionDefinition(question, optionsText, votersText) {
  const q = question.trim();
  if (!q) throw new Error('the election needs a question');
  const options = parseOptions(optionsText);
  const voters = parseVoters(votersText);
  if (voters.length === 0) throw new Error('the election needs its voter list: generate voter credentials or load the list');
  const def = { question: q, options, voters };
  // it travels in the joint peer's crypto_params, which the controller takes up to 64 KiB
  const size = new TextEncoder().encode(JSON.stringify(def)).length;
  if (size > MAX_DEFINITION) {
    throw new Error(`the election definition is too large for the controller (${size} bytes, at most ${MAX_DEFINITION}: about ${MAX_VOTERS} voters)`);
  }
  return def;
}

/** `count` fresh voter credentials: `[{secret, credential}]`. */
export function generateCredentials(count) {
  if (!Number.isInteger(count) || count < 1 || count > MAX_VOTERS) throw new Error(`the number of voters must be 1 to ${MAX_VOTERS}`);
  return Array.from({ length: count }, () => pmx.zeusVoterKeygen());
}

/** A voter's booth link: the secret credential only in the fragment. */
export function boothLink(election, secret) {
  const u = new URL(pageLink('booth.html', { election }), location.href);
  u.hash = `credential=${secret}`;
  return u.href;
}

/** The organiser's file of secret credentials (one per voter, with the booth link). */
export function credentialsFile(election, def, creds) {
  return JSON.stringify({
    kind: 'panoramix-voter-credentials',
    election,
    question: def.question,
    options: def.options,
    note: 'SECRET: give each voter their own entry (secret or booth link) privately; the voter list holds only the public credentials',
    voters: creds.map((c, i) => ({ voter: i + 1, credential: c.credential, secret: c.secret, booth: boothLink(election, c.secret) })),
  }, null, 1);
}

/** The public voter list file (no secrets). */
export function voterListFile(election, voters) {
  return JSON.stringify({ kind: 'panoramix-voter-list', election, voters }, null, 1);
}
