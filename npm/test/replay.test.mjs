// The contributor protocol is one implementation: recordings of native agents
// (tests/replay.rs, written to $PANORAMIX_RECORDINGS_DIR: two Sphinx cycles and an
// election, three contributors each) replayed through the WebAssembly build of the
// same state machine ask for the same requests, byte for byte, store the same
// states and end every step as recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContributorMachine } from '@panoramix/mixnet';

const dir = process.env.PANORAMIX_RECORDINGS_DIR;

/** Replay one recording; returns the number of effects compared. */
function replay(rec) {
  const m = new ContributorMachine(rec.identity, rec.controller_id, rec.backend, secretsOf(rec), rec.state, rec.seed);
  let compared = 0;
  try {
    rec.steps.forEach((step, i) => {
      m.beginStep(step.now);
      step.entries.forEach((e, j) => {
        const p = m.poll();
        const where = `step ${i}, entry ${j}`;
        assert.equal(p.kind, e.kind, `${where}: ${JSON.stringify(p).slice(0, 300)}`);
        if (e.kind === 'http') {
          assert.equal(p.method, e.method, where);
          assert.equal(p.path, e.path, where);
          assert.equal(p.body ?? null, e.body ?? null, where);
          m.handle(e.status, JSON.stringify(e.answer));
        } else {
          assert.equal(p.state, e.state, where);
          m.saved();
        }
        compared += 1;
      });
      if (step.outcome.kind === 'aborted') return;
      const end = m.poll();
      if (step.outcome.kind === 'done') {
        assert.equal(end.kind, 'done', `step ${i}: ${JSON.stringify(end).slice(0, 300)}`);
        assert.deepEqual(
          { acted: end.acted, finished: end.finished, events: end.events },
          { acted: step.outcome.acted, finished: step.outcome.finished, events: step.outcome.events },
          `step ${i}`,
        );
      } else {
        assert.equal(end.kind, 'failed', `step ${i}`);
        assert.equal(end.message, step.outcome.message, `step ${i}`);
      }
    });
  } finally {
    m.free();
  }
  return compared;
}

function secretsOf(rec) {
  const s = {};
  if (rec.secrets.mix) s.mix = rec.secrets.mix;
  if (rec.secrets.trustee) s.trustee = rec.secrets.trustee;
  return s;
}

test('native recordings replay through the WebAssembly machine', { skip: !dir && 'set PANORAMIX_RECORDINGS_DIR' }, () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.filter((f) => f.startsWith('sphinx-')).length >= 3, files.join());
  assert.ok(files.filter((f) => f.startsWith('zeus-')).length >= 3, files.join());
  for (const f of files) {
    const rec = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const n = replay(rec);
    assert.ok(n > 20, `${f}: ${n} effects`);
    // a tampered answer sends the replay elsewhere (the comparison can fail)
    const bad = structuredClone(rec);
    const e = bad.steps.flatMap((s) => s.entries).find((x) => x.kind === 'http' && x.body);
    e.body += ' ';
    assert.throws(() => replay(bad));
  }
});
