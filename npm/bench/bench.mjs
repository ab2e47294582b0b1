// The package (WebAssembly, in Node) against the native crates on the same
// operations, in one run; prints µs per operation and the WebAssembly/native ratio.
// Usage: node bench/bench.mjs [n=64] [ms per operation=600]
// Env: PMX_NATIVE (the pmx-native binary), PMX_PACKAGE (module to import, default
// ../dist/index.js). The native side runs single-threaded (RAYON_NUM_THREADS=1), as
// WebAssembly does.
//
// Both sides do the same work per call (pmx-native's `bench` mirrors each row): what
// the package parses per call (a mix secret and the parameters per batch, the
// election parameters and the voter secret per ballot, the parameters and the
// ballot text per ballot check, the endpoint parameters per shuffle) the native side parses
// per call too, from the same texts; what is held parsed here (a prepared SphinxRoute,
// a VerifyingKey) is parsed once there too. Parsing an Ed25519 key is its own row.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const n = Number(process.argv[2] ?? 64);
const ms = Number(process.argv[3] ?? 600);
const pkg = process.env.PMX_PACKAGE ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));
const pmx = await import(pkg);
await pmx.init();
// the client module's raw bindings, initialised by init() above (the same module
// instance index.js imports): VerifyingKey is not re-exported by index.js
const raw = await import(new URL('./panoramix_wasm.js', pathToFileURL(pkg)).href);

// CPU time of the process (user + system, µs): the machine is shared, and wall
// time would count other tenants. WebAssembly runs on this one thread.
function cpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function timeUs(f) {
  f();
  const samples = [];
  for (let s = 0; s < 5; s++) {
    const start = cpuUs();
    let k = 0;
    while (k === 0 || cpuUs() - start < (ms * 1000) / 5) {
      f();
      k++;
    }
    samples.push((cpuUs() - start) / k);
  }
  samples.sort((a, b) => a - b);
  return samples[2];
}

const wasm = {};
const params = { BODY_LEN: 1024, MAX_HOPS: 5 };
const mixes = [pmx.sphinxKeygen(), pmx.sphinxKeygen(), pmx.sphinxKeygen()];
const route = new pmx.SphinxRoute(params, mixes.map((m) => m.publicKey));
const msg = new Uint8Array(200).fill(120);
wasm.sphinx_create = timeUs(() => route.wrap('bob', msg));
const batch = Array.from({ length: n }, () => route.wrap('bob', msg).text);
// per batch, as pmx-native: the parameters and the mix key from their texts, a fresh
// replay cache (checked once: every packet forwarded, none rejected)
const hop = pmx.sphinxProcessBatch(mixes[0].secret, params, batch);
if (hop.rejected.length || hop.outputs.length !== n) throw new Error('Sphinx hop rejected packets');
wasm.sphinx_hop = timeUs(() => pmx.sphinxProcessBatch(mixes[0].secret, params, batch)) / n;
// the bulk path: raw packets concatenated in one Uint8Array (fresh replay cache each time)
if (pmx.SphinxMix.prototype.processPackets) {
  const plen = pmx.sphinxParams(params).packetLen;
  const packed = new Uint8Array(n * plen);
  batch.forEach((t, i) => packed.set(Buffer.from(t, 'base64'), i * plen));
  const check = new pmx.SphinxMix(mixes[0].secret, params);
  if (check.processPackets(packed).status.some((x) => x !== 0)) throw new Error('processPackets rejected packets');
  check.free();
  wasm.sphinx_hop_bytes =
    timeUs(() => {
      const mix = new pmx.SphinxMix(mixes[0].secret, params);
      mix.processPackets(packed);
      mix.free();
    }) / n;
}
const t = pmx.zeusTrusteeKeygen();
const sid = 'bench';
const zp = {
  session_id: sid,
  election_public_key: t.publicKey,
  trustees: [pmx.zeusPublishTrusteeKey(t.secret, sid)],
};
const voter = pmx.zeusVoterKeygen();
wasm.ballot_encrypt = timeUs(() => pmx.zeusEncryptBallot(voter.secret, zp, 'ballot'));
// ballots with a candidate list: the validity proof has one branch per answer
const ANSWER_COUNTS = [2, 5, 10];
for (const k of ANSWER_COUNTS) {
  const p = { ...zp, answers: Array.from({ length: k }, (_, i) => `candidate-${i}`) };
  const answer = `candidate-${Math.floor(k / 2)}`;
  wasm[`ballot_create_k${k}`] = timeUs(() => pmx.zeusEncryptBallot(voter.secret, p, answer));
  const text = pmx.zeusEncryptBallot(voter.secret, p, answer);
  wasm[`ballot_verify_k${k}`] = timeUs(() => pmx.zeusVerifyBallot(p, text));
}
// one credential per ballot: the booth counts one ballot per credential
const ballots = Array.from({ length: n }, () =>
  pmx.zeusEncryptBallot(pmx.zeusVoterKeygen().secret, zp, 'ballot'),
);
const cts = pmx.zeusProcess(null, 'ZEUS_BOOTH', zp, ballots).outputs;
if (cts.length !== n) throw new Error('the booth refused ballots');
const mixed = pmx.zeusProcess(null, 'ZEUS_TW_MIX', zp, cts);
wasm.tw_shuffle_prove_per_ct = timeUs(() => pmx.zeusProcess(null, 'ZEUS_TW_MIX', zp, cts)) / n;
wasm.tw_verify_per_ct =
  timeUs(() => pmx.zeusVerify('ZEUS_TW_MIX', zp, cts, mixed.outputs, mixed.proof)) / n;
const k = pmx.generateKeypair();
const m = new Uint8Array(256).fill(109);
const sig = pmx.sign(k.secret, 'envelope', m);
wasm.ed25519_parse = timeUs(() => new raw.VerifyingKey(k.keyData).free());
const vk = new raw.VerifyingKey(k.keyData);
if (!vk.verify('envelope', m, sig) || vk.verify('contribution', m, sig)) {
  throw new Error('VerifyingKey.verify gives a wrong answer');
}
wasm.ed25519_verify = timeUs(() => vk.verify('envelope', m, sig));

const bin = process.env.PMX_NATIVE;
let nat = {};
if (bin) {
  const r = spawnSync(bin, ['bench'], {
    input: JSON.stringify({ n, ms }),
    env: { ...process.env, RAYON_NUM_THREADS: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`pmx-native bench failed: ${r.stderr}`);
  nat = JSON.parse(r.stdout).results;
}
const labels = {
  sphinx_create: 'Sphinx packet creation (3 hops, 1 KiB body)',
  sphinx_hop: `Sphinx hop (per packet, batch of ${n})`,
  sphinx_hop_bytes: `Sphinx hop, packets as bytes (per packet, batch of ${n})`,
  ballot_encrypt: 'Zeus ballot, free text (knowledge proof + credential signature)',
  ballot_create_k2: 'Zeus ballot creation, 2 candidates (validity proof + signature)',
  ballot_verify_k2: 'Zeus ballot verification, 2 candidates',
  ballot_create_k5: 'Zeus ballot creation, 5 candidates',
  ballot_verify_k5: 'Zeus ballot verification, 5 candidates',
  ballot_create_k10: 'Zeus ballot creation, 10 candidates',
  ballot_verify_k10: 'Zeus ballot verification, 10 candidates',
  tw_shuffle_prove_per_ct: `TW shuffle + prove (per ciphertext, n=${n})`,
  tw_verify_per_ct: `TW verify (per ciphertext, n=${n})`,
  ed25519_parse: 'Ed25519 public key parsing (hex, decompression, weak-key check)',
  ed25519_verify: 'Ed25519 verify, parsed key (256-byte message)',
};
const rows = [];
for (const [key, label] of Object.entries(labels)) {
  const w = wasm[key];
  if (w === undefined) continue;
  const nv = nat[key];
  rows.push({ operation: label, wasm_us: w.toFixed(1), native_us: nv ? nv.toFixed(1) : '-', ratio: nv ? (w / nv).toFixed(2) : '-' });
}
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${n} items, ${ms} ms CPU per operation, CPU time, native single-threaded`);
console.log('| operation | WebAssembly (µs) | native (µs) | WebAssembly / native |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.operation} | ${r.wasm_us} | ${r.native_us} | ${r.ratio} |`);
const ratios = rows.map((r) => Number(r.ratio)).filter((x) => x > 0);
if (ratios.length) {
  const gm = Math.exp(ratios.reduce((a, b) => a + Math.log(b), 0) / ratios.length);
  console.log(`geometric mean ratio: ${gm.toFixed(2)}; worst: ${Math.max(...ratios).toFixed(2)}`);
}
