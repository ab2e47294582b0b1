// Module worker: a whole Zeus election off the main thread.
import {
  init,
  zeusTrusteeKeygen,
  zeusPublishTrusteeKey,
  zeusCombineTrusteeKeys,
  zeusVoterKeygen,
  zeusPrepareBallot,
  zeusParseOutcome,
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
    const voters = e.data.votes.map(() => zeusVoterKeygen());
    const p = {
      session_id: sid,
      election_public_key: pk,
      trustees: [zeusPublishTrusteeKey(t.secret, sid)],
      answers: [...new Set(e.data.votes)],
      voters: voters.map((v) => v.credential),
    };
    // the Benaloh challenge once, then the ballots cast
    const audited = zeusPrepareBallot(voters[0].secret, p, e.data.votes[0]);
    if (!audited.audit().ok) throw new Error('the audited ballot does not open');
    const ballots = e.data.votes.map((v, i) => zeusPrepareBallot(voters[i].secret, p, v).castText());
    const cts = zeusProcess(null, 'ZEUS_BOOTH', p, ballots).outputs;
    const mixed = zeusMix(p, cts);
    zeusVerifyMix(p, cts, mixed.outputs, mixed.proof);
    const plain = zeusCombine(p, zeusPartialDecrypt(t.secret, p, mixed.outputs));
    const votes = plain.map((h) => zeusParseOutcome(h).answer);
    const ok = [...votes].sort().join() === [...e.data.votes].sort().join();
    self.postMessage({ ok, votes });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err), code: err && err.code });
  }
};
