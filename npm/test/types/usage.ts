// Type-checked under `tsc --strict` by scripts/wasm-test.sh (not run).
import {
  init,
  PanoramixClient,
  PanoramixError,
  Contributor,
  MixnetSender,
  SphinxMix,
  SphinxRoute,
  zeusEncryptBallot,
  zeusPrepareBallot,
  zeusVoterKeygen,
  zeusParseOutcome,
  zeusAssembleElection,
  zeusMix,
  zeusVerifyMix,
  type ZeusParams,
  type BallotOpening,
  type PreparedBallot,
  type BatchResult,
  type ApiMessage,
  type ApiPeer,
  type ApiNegotiation,
} from '@panoramix/mixnet';

export async function example(url: string, secret: string, joint: string): Promise<number> {
  await init();
  const client = await PanoramixClient.connect(secret, url);
  const voter = zeusVoterKeygen();
  const sender = await MixnetSender.open(client, joint, { voterSecret: voter.secret });
  const posted: ApiMessage = await sender.send(1, 'bob', 'hello', { voterSecret: voter.secret });
  const peer: ApiPeer = await client.peer(joint);
  const neg: ApiNegotiation = await client.negotiation('n');
  const closed: string | null | undefined = neg.consensus ?? (await client.contribute('n', 't')).consensus;
  const prepared: PreparedBallot = sender.prepareBallot(1, 'yes');
  const opened: BallotOpening = prepared.audit();
  const again: PreparedBallot = zeusPrepareBallot(voter.secret, sender.zeusParams(1), opened.answer ?? 'yes');
  await sender.cast(1, again);
  const route = new SphinxRoute({ BODY_LEN: 1024, MAX_HOPS: 5 }, ['00'.repeat(32)]);
  const mix = new SphinxMix('11'.repeat(32), null);
  const out: BatchResult = mix.processBatch([route.wrap('bob', new Uint8Array([1, 2])).text]);
  const params: ZeusParams = {
    session_id: 's',
    election_public_key: 'aa'.repeat(32),
    answers: ['yes', 'no'],
    voters: [voter.credential],
  };
  const ballot: string = zeusEncryptBallot(voter.secret, params, 'yes');
  const m = zeusMix(params, [ballot.slice(0, 128)]);
  try {
    zeusVerifyMix(params, [ballot.slice(0, 128)], m.outputs, m.proof);
  } catch (e) {
    if (e instanceof PanoramixError) console.log(e.code);
  }
  const me = new Contributor({ mix: '22'.repeat(32) }, client, {
    joint,
    maxCycles: 1,
    onSave: async (state: string) => void state.length,
  });
  const step = await me.step();
  const steps = step.events;
  const final = await me.run({ idleMs: 100, onError: (e: Error) => console.warn(e.message) });
  const cycles: number = final.completed + me.cycle;
  const results = await sender.results(1);
  const spoiled = (results ?? []).filter((r) => r.spoiled || r.bytes === null).length;
  const answer: string | null = zeusParseOutcome('796573').answer;
  const json: string = zeusAssembleElection(params, [ballot], [{ mixer: 'm', outputs: m.outputs, proof: m.proof }], [], []);
  return posted.text.length + peer.name.length + (closed?.length ?? 0) + out.outputs.length + steps.length + cycles + (results?.length ?? 0) + spoiled + (answer?.length ?? 0) + json.length;
}

import * as contributor from '@panoramix/mixnet/contributor';
import { initContributor, type PacketBatchResult } from '@panoramix/mixnet';

export async function bulk(packets: Uint8Array): Promise<number> {
  await contributor.init(); // both modules
  await initContributor(); // idempotent
  const mix = new contributor.SphinxMix('11'.repeat(32), null);
  const r: PacketBatchResult = mix.processPackets(packets);
  const forwarded = r.status.filter((s) => s === 0).length;
  return r.packets.length + r.nextHops.length + r.exits.length + r.rejected.length + forwarded;
}
