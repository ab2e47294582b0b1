// Module worker: a whole Zeus election off the main thread.
import {
  init,
  zeusTrusteeKeygen,
  zeusPublishTrusteeKey,
  zeusCombineTrusteeKeys,
  zeusEncryptBallot,
  zeusProcess,
  zeusMix,
  zeusVerifyMix,
  zeusPartialDecrypt,
  zeusCombine,
} from './node_modules/@panoramix/mixnet/dist/contributor-entry.js';

self.onmessage = async (e) => {
  try {
    await init(); // both modules: the contributor entry's init()
    const sid = 'browser/1';
    const t = zeusTrusteeKeygen();
    const pk = zeusCombineTrusteeKeys(sid, [zeusPublishTrusteeKey(t.secret, sid)]);
    const p = { session_id: sid, election_public_key: pk, trustees: [t.publicKey] };
    const ballots = e.data.votes.map((v) => zeusEncryptBallot(sid, pk, v));
    const cts = zeusProcess('ZEUS_BOOTH', p, ballots).outputs;
    const mixed = zeusMix(p, cts);
    zeusVerifyMix(p, cts, mixed.outputs, mixed.proof);
    const plain = zeusCombine(p, zeusPartialDecrypt(p, t.secret, mixed.outputs));
    const votes = plain.map((h) => new TextDecoder().decode(Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16))));
    const ok = [...votes].sort().join() === [...e.data.votes].sort().join();
    self.postMessage({ ok, votes });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err), code: err && err.code });
  }
};
