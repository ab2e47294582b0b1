// The contributor protocol is one implementation: recordings of native agents
// (tests/replay.rs, written to $PANORAMIX_RECORDINGS_DIR: two Sphinx cycles and an
// election, three contributors each) replayed through the WebAssembly build of the
// same state machine ask for the same requests, byte for byte, store the same
// states and end every step as recorded. The formation of those mix-nets is
// recorded too, one procedure a file (`formation-*.json`: the operation and its
// arguments, the identity, the seed, the clock, every answer); each replays
// through the WebAssembly FormationMachine to the same requests and result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContributorMachine } from '@panoramix/mixnet';
import { FormationMachine } from '../dist/processing.js';

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
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('formation-'))
    .sort();
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

/** Replay one recorded formation procedure; returns the number of requests compared. */
function replayProcedure(rec) {
  const m = new FormationMachine(rec.identity, rec.controller_id, rec.seed);
  try {
    m.select('selectOperation', [rec.operation, rec.args]);
    m.begin(rec.now);
    rec.entries.forEach((e, j) => {
      const p = m.poll();
      const where = `${rec.operation}, entry ${j}`;
      assert.equal(p.kind, e.kind, `${where}: ${JSON.stringify(p).slice(0, 300)}`);
      assert.equal(p.method, e.method, where);
      assert.equal(p.path, e.path, where);
      assert.equal(p.body ?? null, e.body ?? null, where);
      m.handle(e.status, JSON.stringify(e.answer));
    });
    const end = m.poll();
    if (rec.outcome.kind === 'done') {
      assert.equal(end.kind, 'done', `${rec.operation}: ${JSON.stringify(end).slice(0, 300)}`);
      assert.deepEqual(end.result ?? null, rec.outcome.result, rec.operation);
    } else if (rec.outcome.kind === 'failed') {
      assert.equal(end.kind, 'failed', rec.operation);
      assert.equal(end.message, rec.outcome.message, rec.operation);
    }
  } finally {
    m.free();
  }
  return rec.entries.length;
}

test('native formation recordings replay through the WebAssembly formation machine', { skip: !dir && 'set PANORAMIX_RECORDINGS_DIR' }, () => {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('formation-') && f.endsWith('.json'))
    .sort();
  const ops = new Set();
  for (const what of ['sphinx', 'zeus']) {
    assert.ok(files.filter((f) => f.startsWith(`formation-${what}-`)).length >= 12, files.join());
  }
  for (const f of files) {
    const rec = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    ops.add(rec.operation);
    assert.ok(replayProcedure(rec) > 0, f);
    // another answer to the last request ends it otherwise (the comparison can fail)
    const bad = structuredClone(rec);
    bad.entries.at(-1).status = 500;
    assert.throws(() => replayProcedure(bad), f);
  }
  for (const op of ['register', 'create', 'proposal', 'join', 'proposeJoint', 'confirmJoint', 'finish']) {
    assert.ok(ops.has(op), `${op} in ${[...ops].join()}`);
  }
});
