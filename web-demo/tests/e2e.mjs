// End-to-end tests of the web demonstrators: playwright-core drives Debian's
// Chromium (headless) against a native `panoramix serve` on 127.0.0.1 that also
// serves the pages. Browser pages are the mix-net contributors and trustees.
// Screenshots go to web-demo/tests/screenshots/ (gitignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, existsSync, rmSync, readFileSync, writeFileSync, statSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB = resolve(HERE, '..');
const ROOT = resolve(WEB, '..');
const SHOTS = join(HERE, 'screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function findBinary() {
  const candidates = [
    process.env.PANORAMIX_BIN,
    join(ROOT, 'target-web/debug/panoramix'),
    join(ROOT, 'target/debug/panoramix'),
    join(ROOT, 'target/release/panoramix'),
  ].filter(Boolean);
  const bin = candidates.find((p) => existsSync(p));
  if (!bin) throw new Error(`no panoramix binary (tried ${candidates.join(', ')}); set PANORAMIX_BIN`);
  return bin;
}

/** `panoramix serve` on an ephemeral loopback port, serving web-demo/ too. */
function startController() {
  const dir = mkdtempSync(join(tmpdir(), 'pmx-web-'));
  const child = spawn(
    findBinary(),
    ['serve', '--listen', '127.0.0.1:0', '--db', join(dir, 'controller.sqlite3'), '--static-dir', WEB],
    // a fresh passphrase for this throw-away controller: serve refuses to keep its key in plaintext
    { env: { ...process.env, PANORAMIX_LOG: 'warn', PANORAMIX_PASSPHRASE: randomBytes(16).toString('hex') }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error('the controller did not start in 30 s')), 30000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/panoramix: listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        let stopped = false;
        ok({ url: m[1].replace(/\/+$/, ''), stop: () => {
          if (stopped) return;
          stopped = true;
          child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        } });
      }
    });
    child.on('exit', (code) => fail(new Error(`the controller exited with ${code}`)));
  });
}

let ctl;
let browser;
const problems = [];
let native = null; // a native `panoramix contribute` process
let keyDir = null; // its key file and state
// never leave the controller or an agent behind, whatever ends this process
process.on('exit', () => {
  native?.kill('SIGKILL');
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  ctl?.stop();
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

before(async () => {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  ctl = await startController();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  native?.kill('SIGKILL');
  await browser?.close();
  ctl?.stop();
});

/**
 * A page in a fresh browser context (a separate user). Its page errors and console
 * errors are collected for `noProblems()`, except console errors that
 * `allowConsoleError(message)` accepts (for a page that is expected to log some).
 */
async function openPage(path, { width = 900, height = 900, allowConsoleError = () => false } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${path}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowConsoleError(m)) problems.push(`${path}: console error: ${m.text()}`);
  });
  await page.goto(/^https?:/.test(path) ? path : `${ctl.url}/${path}`);
  return page;
}

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

function noProblems() {
  assert.deepEqual(problems.splice(0), [], 'page errors');
}

test('chat: three users talk through a mix-net of three browser contributors', { timeout: 240000 }, async () => {
  const room = 'room1';
  const contributors = [];
  for (let i = 0; i < 3; i++) {
    contributors.push(await openPage(`contributor.html?mixnet=${room}&backend=SPHINXMIX&count=3&size=6&auto=1`));
  }
  for (const c of contributors) await c.waitForSelector('body[data-joined="1"]', { timeout: 60000 });
  const names = ['alice', 'bob', 'carol'];
  const users = [];
  for (const n of names) {
    const p = await openPage(`chat.html?room=${room}&name=${n}`);
    await p.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
    users.push(p);
  }
  // two rounds of six messages: each user sends two per round
  const inSendingOrder = [];
  for (const round of [1, 2]) {
    const sent = [];
    for (let k = 1; k <= 2; k++) {
      for (let u = 0; u < 3; u++) {
        const text = `${names[u]} says hello #${k} in round ${round}`;
        const before = await users[u].evaluate(() => Number(document.body.dataset.sent ?? 0));
        await users[u].fill('#message', text);
        await users[u].click('#send');
        await users[u].waitForSelector(`body[data-sent="${before + 1}"]`, { timeout: 60000 });
        sent.push(text);
      }
    }
    if (round === 1) await shot(users[0], 'chat-1-sent');
    const orders = [];
    for (const p of users) {
      await p.waitForSelector(`section[data-round="${round}"] li:nth-child(6)`, { timeout: 180000 });
      orders.push(await p.$$eval(`section[data-round="${round}"] li`, (lis) => lis.map((l) => l.dataset.text)));
    }
    for (const o of orders) {
      assert.equal(o.length, 6);
      assert.deepEqual([...o].sort(), [...sent].sort(), 'every message exactly once');
      assert.deepEqual(o, orders[0], 'everyone sees the same mixed order');
    }
    inSendingOrder.push(JSON.stringify(orders[0]) === JSON.stringify(sent));
  }
  // a fair shuffle keeps six messages in order once in 720 rounds: asking it of both
  // rounds keeps the test honest without a 1-in-720 false failure
  assert.ok(inSendingOrder.includes(false), 'the output is not in the sending order');
  for (let i = 0; i < 3; i++) await shot(users[i], `chat-2-rounds-${names[i]}`);
  await shot(contributors[0], 'chat-3-contributor');
  const processed = await Promise.all(contributors.map((c) => c.evaluate(() => Number(document.body.dataset.processed ?? 0))));
  assert.deepEqual(processed, [2, 2, 2], 'each browser contributor processed its batch of each round');
  noProblems();
});

test('mix-net view: the chat mix-net as a picture, with the audit log', { timeout: 60000 }, async () => {
  const p = await openPage('mixnet.html?mixnet=room1&cycle=1', { width: 1100 });
  await p.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await p.waitForSelector('svg.graph g[data-status="PROCESSED"]');
  const states = await p.$$eval('svg.graph g[data-endpoint]', (gs) => gs.map((g) => g.dataset.status));
  assert.deepEqual(states, ['PROCESSED', 'PROCESSED', 'PROCESSED', 'PROCESSED'], 'gateway and three mixes processed');
  assert.match(await p.textContent('#chain'), /verified/);
  assert.ok((await p.$$('ol.audit li[data-kind="consensus"]')).length > 5, 'agreements are listed');
  await shot(p, 'mixnet-1-chat-round1');
  noProblems();
});

const electionName = 'election1';
const options = ['red', 'green', 'blue'];
const votes = ['red', 'green', 'red', 'blue', 'red', 'green', 'blue', 'red', 'green', 'red', 'green', 'blue'];
const trackers = [];
let auditedTracker = null;
let revotedTracker = null;

// RFC 9496: the generator's encoding, and an encoding whose x^2 is not a square
const RISTRETTO_BASEPOINT = 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76';
const NOT_A_POINT = 'ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20';

test('the pages\' voter-list check (js/ristretto.js) decides like the WebAssembly decoder', async () => {
  const { isRistrettoPoint } = await import(pathToFileURL(join(WEB, 'js/ristretto.js')).href);
  const pmx = await import(pathToFileURL(join(ROOT, 'npm/dist/index.js')).href);
  assert.equal(isRistrettoPoint(RISTRETTO_BASEPOINT), true);
  for (const bad of [NOT_A_POINT, '00'.repeat(32), 'ff'.repeat(31) + '7f', '01' + '00'.repeat(31), `ed${'ff'.repeat(30)}7f`]) {
    assert.equal(isRistrettoPoint(bad), false, bad);
  }
  for (let i = 0; i < 50; i++) assert.equal(isRistrettoPoint(pmx.zeusVoterKeygen().credential), true);
  // the package refuses an election key that does not decode: the oracle for random encodings
  const secret = pmx.zeusVoterKeygen().secret;
  const rust = (h) => {
    try {
      pmx.zeusEncryptBallot(secret, { session_id: 'check', election_public_key: h }, 'x');
      return true;
    } catch {
      return false;
    }
  };
  let valid = 0;
  for (let i = 0; i < 1000; i++) {
    const b = randomBytes(32);
    b[31] &= 0x7f;
    b[0] &= 0xfe; // canonical-looking and non-negative: about half are group elements
    const h = b.toString('hex');
    assert.equal(isRistrettoPoint(h), rust(h), h);
    if (rust(h)) valid += 1;
  }
  assert.ok(valid > 100 && valid < 900, `${valid} of 1000 random encodings valid`);
});

/** Every item of a paged list route of the controller. */
async function listAll(path) {
  const out = [];
  for (let after = null; ;) {
    const r = await (await fetch(`${ctl.url}${path}&limit=1000${after === null ? '' : `&after=${encodeURIComponent(after)}`}`)).json();
    out.push(...(r.data ?? []));
    if (r.next === null || r.next === undefined) return out;
    after = r.next;
  }
}

/** A valid secret credential (a canonical non-zero scalar) that no organiser issued. */
function strangerCredential() {
  const b = randomBytes(32);
  b[31] &= 0x0f; // below 2^252 < the group order: canonical
  b[0] |= 1; // non-zero
  return b.toString('hex');
}

/** Save the key file of a contributor page to `path`, then load it back into the page. */
async function saveAndReread(page, path) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#save-key')]);
  await dl.saveAs(path);
  await page.setInputFiles('#check-key', path);
  await page.waitForSelector('body[data-key-check="ok"]');
}

/** In a booth on the choose screen: choose `vote`, encrypt, and wait for the review screen. */
async function encrypt(p, vote) {
  await p.check(`input[value="${vote}"]`);
  await p.click('#to-review');
  await p.waitForSelector('body[data-screen="2"]', { timeout: 30000 });
  assert.match(await p.textContent('#screen-review .notcast'), /Not cast yet/);
  return p.textContent('#tracker');
}

test('election: a dozen voters with credentials, one audited ballot, one re-vote; two trustee pages and one native `panoramix contribute`; the tally equals the last votes; every proof and election.json verified', { timeout: 300000 }, async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'pmx-trustee-'));
  // trustee 1 is also the organiser: it generates the voters' credentials
  // the box closes at 13 admissible ballots (twelve voters, one re-vote) and has room
  // for one more: the stranger's ballot posted below
  const q = `mixnet=${electionName}&backend=ZEUS&count=3&size=${votes.length + 1}&max=${votes.length + 2}` +
    `&question=${encodeURIComponent('Which colour for the new logo?')}&options=${options.join(',')}`;
  const t1 = await openPage(`contributor.html?${q}`);
  await t1.waitForSelector('body[data-ready="1"]');
  // a pasted list is checked as the verifier checks it: every credential a group element
  await t1.fill('#voters', `${RISTRETTO_BASEPOINT}\n${NOT_A_POINT}`);
  await t1.waitForSelector('#voters-summary.error');
  assert.match(await t1.textContent('#voters-summary'), /voter 2's credential ed57ffd8c914fb20… is not a valid public credential/);
  await t1.fill('#voter-count', String(votes.length));
  await t1.click('#gen-credentials');
  await t1.waitForSelector(`body[data-voters="${votes.length}"]`);
  const [credDl] = await Promise.all([t1.waitForEvent('download'), t1.click('#download-credentials')]);
  const credPath = join(keyDir, 'credentials.json');
  await credDl.saveAs(credPath);
  const creds = JSON.parse(readFileSync(credPath, 'utf8'));
  assert.equal(creds.kind, 'panoramix-voter-credentials');
  assert.equal(creds.voters.length, votes.length);
  const onList = (await t1.inputValue('#voters')).split('\n');
  assert.deepEqual(onList, creds.voters.map((v) => v.credential), 'the voter list holds the public credentials');
  for (const v of creds.voters) {
    assert.match(v.secret, /^[0-9a-f]{64}$/);
    assert.ok(!onList.includes(v.secret), 'no secret on the voter list');
    const u = new URL(v.booth);
    assert.equal(u.hash, `#credential=${v.secret}`, 'the secret travels only in the fragment');
    assert.ok(!u.search.includes(v.secret));
  }
  await shot(t1, 'trustee-0-organiser-credentials');
  // the trustee page will not join before the key share is saved and read back
  assert.equal(await t1.isDisabled('#join'), true, 'join is blocked before the key is saved');
  assert.equal(await t1.isVisible('#key-gate'), true);
  const k1 = join(keyDir, 'trustee1.json');
  const [dl1] = await Promise.all([t1.waitForEvent('download'), t1.click('#save-key')]);
  await dl1.saveAs(k1);
  assert.equal(await t1.isDisabled('#join'), true, 'saving alone does not unblock: the file must be read back');
  // a file that is not this page's key (the credentials file) keeps it blocked
  await t1.setInputFiles('#check-key', credPath);
  await t1.waitForSelector('body[data-key-check="bad"]');
  assert.equal(await t1.isDisabled('#join'), true, 'a wrong file keeps join blocked');
  await t1.setInputFiles('#check-key', k1);
  await t1.waitForSelector('body[data-key-check="ok"]');
  assert.equal(await t1.isDisabled('#join'), false, 'join is possible once the key share was read back');
  await shot(t1, 'trustee-0-key-saved-and-checked');
  // the other trustees get the same definition through the organiser's trustee link
  const trusteeLink = new URL(await t1.textContent('#trustee-link'));
  assert.equal(trusteeLink.searchParams.get('voters'), onList.join(','));
  const t2 = await openPage(`contributor.html${trusteeLink.search}&auto=1`);
  await t2.waitForSelector('body[data-ready="1"]');
  assert.equal(await t2.isDisabled('#join'), true);
  await saveAndReread(t2, join(keyDir, 'trustee2.json')); // auto: joins once the key is read back
  // the third trustee: a page makes and saves the key, checks the saved copy, signs
  // the formation, and hands over to the native agent
  const t3 = await openPage(`contributor.html${trusteeLink.search}&native=1`);
  await t3.waitForSelector('body[data-ready="1"]');
  const keyPath = join(keyDir, 'trustee3.json');
  await saveAndReread(t3, keyPath);
  await t1.click('#join');
  await t3.click('#join');
  const trustees = [t1, t2];
  for (const t of [...trustees, t3]) await t.waitForSelector('body[data-joined="1"]', { timeout: 60000 });
  const [cfg] = await Promise.all([t3.waitForEvent('download'), t3.click('#save-config')]);
  await cfg.saveAs(keyPath);
  // a key file must be private: `panoramix contribute` refuses one that others can read
  chmodSync(keyPath, 0o600);
  native = spawn(findBinary(), ['contribute', '--config', keyPath, '--url', ctl.url, '--poll-ms', '100'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let nativeLog = '';
  native.stderr.on('data', (d) => (nativeLog += d));
  await shot(t3, 'trustee-3-native-handover');

  // a booth opened with a credential that is not on the list refuses before encrypting
  const stranger = await openPage(`booth.html?election=${electionName}#credential=${strangerCredential()}`);
  await stranger.waitForSelector('body[data-eligible="no"]', { timeout: 30000 });
  assert.match(await stranger.textContent('#credential-refused'), /NOT on the voter list/);
  assert.equal(await stranger.isVisible('#screen-choose'), false, 'no choice offered');
  assert.equal(await stranger.isVisible('#cast'), false, 'no cast offered');
  assert.ok(!stranger.url().includes('#credential'), 'the credential is removed from the address bar');
  await shot(stranger, 'booth-0-not-on-the-list');
  await stranger.context().close();
  // a booth without a credential asks for one, and refuses what is not a credential
  const none = await openPage(`booth.html?election=${electionName}`);
  await none.waitForSelector('body[data-screen="credential"]', { timeout: 30000 });
  await none.fill('#credential', 'not-a-credential');
  await none.click('#use-credential');
  await none.waitForSelector('body[data-eligible="no"]');
  assert.match(await none.textContent('#credential-refused'), /not a voter credential/);
  assert.equal(await none.isVisible('#cast'), false);
  await none.fill('#credential', strangerCredential());
  await none.click('#use-credential');
  await none.waitForSelector('#credential-refused:has-text("NOT on the voter list")');
  assert.equal(await none.isVisible('#screen-choose'), false);
  await none.context().close();

  // a well-formed ballot of a stranger's credential, posted straight to the box (as
  // a modified booth could): the agents (browser and native alike) leave it out
  const pmx = await import(pathToFileURL(join(ROOT, 'npm/dist/index.js')).href);
  const { zeusAuditBallot } = pmx;
  const boothId = `${electionName}-1-booth`;
  let boothEp = null;
  for (let k = 0; k < 300 && !boothEp; k++) {
    const resp = await fetch(`${ctl.url}/panoramix/endpoints/${boothId}/`);
    if (resp.ok) boothEp = (await resp.json()).data;
    else await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.ok(boothEp, 'the ballot box of round 1 exists');
  const poster = await pmx.PanoramixClient.connect(pmx.generateKeypair().secret, ctl.url);
  const intruder = pmx.zeusEncryptBallot(strangerCredential(), boothEp.endpoint_params, options[0]);
  await poster.postMessage(boothId, 'INBOX', poster.id, boothEp.peer_id, intruder);
  for (const [i, vote] of votes.entries()) {
    const narrow = i === 0;
    const link = creds.voters[i].booth;
    let p;
    if (i === 4) {
      // without the link: the voter types the credential in
      p = await openPage(`booth.html?election=${electionName}`);
      await p.waitForSelector('body[data-screen="credential"]', { timeout: 30000 });
      await p.fill('#credential', creds.voters[i].secret);
      await p.click('#use-credential');
    } else {
      p = await openPage(link, narrow ? { width: 375, height: 740 } : {});
    }
    await p.waitForSelector('body[data-screen="1"]', { timeout: 30000 });
    assert.equal(await p.evaluate(() => document.body.dataset.eligible), 'yes');
    if (narrow) await shot(p, 'booth-1-choose-375px');
    if (i === 1) {
      // keyboard only: the radio group and the buttons
      await p.focus(`input[value="${options[0]}"]`);
      for (let k = 0; k < options.indexOf(vote); k++) await p.keyboard.press('ArrowDown');
      await p.keyboard.press('Enter');
      await p.waitForSelector('body[data-screen="2"]', { timeout: 30000 });
    } else if (i === 2) {
      // Benaloh challenge: encrypt, audit (the ballot is opened and can never be
      // cast), then vote with a fresh encryption
      const first = await encrypt(p, vote);
      await p.click('#audit');
      await p.waitForSelector('body[data-screen="audit"]');
      assert.equal(await p.evaluate(() => document.body.dataset.audit), 'ok');
      assert.match(await p.textContent('#audit-verdict'), new RegExp(`encrypts ${vote}, your choice`));
      assert.match(await p.textContent('#screen-audit'), /opened and can no longer be cast/);
      assert.equal(await p.isVisible('#cast'), false, 'an opened ballot is not offered for casting');
      assert.equal(await p.$$eval('button:visible', (bs) => bs.filter((b) => /cast/i.test(b.textContent)).length), 0);
      const [a] = await Promise.all([p.waitForEvent('download'), p.click('#download-audit')]);
      const auditPath = join(keyDir, 'audit.json');
      await a.saveAs(auditPath);
      const audit = JSON.parse(readFileSync(auditPath, 'utf8'));
      assert.equal(audit.tracker, first);
      assert.equal(audit.answer, vote);
      assert.ok(!JSON.stringify(audit).includes(creds.voters[i].secret), 'the audit data holds no secret credential');
      // anyone can check the opening with the package, independently of the page
      assert.equal(zeusAuditBallot(audit.params, audit.ballot, audit.randomness), vote);
      await shot(p, 'booth-4-audited');
      auditedTracker = first;
      await p.click('#again');
      await p.waitForSelector('body[data-screen="1"]');
      const second = await encrypt(p, vote);
      assert.notEqual(second, first, 'a fresh encryption');
    } else if (i === 3) {
      // a re-vote: this voter first casts another option; the last ballot counts
      const other = options.find((o) => o !== vote);
      revotedTracker = await encrypt(p, other);
      await p.click('#cast');
      await p.waitForSelector('body[data-screen="3"]', { timeout: 30000 });
      await p.goto('about:blank');
      await p.goto(link); // the booth link again (a full load, not a same-page fragment change)
      await p.waitForSelector('body[data-screen="1"]', { timeout: 30000 });
      await encrypt(p, vote);
    } else {
      await encrypt(p, vote);
    }
    if (narrow) await shot(p, 'booth-2-review-375px');
    await p.click('#cast');
    await p.waitForSelector('body[data-screen="3"]', { timeout: 30000 });
    trackers.push(await p.evaluate(() => document.body.dataset.tracker));
    if (narrow) await shot(p, 'booth-3-cast-375px');
    await p.context().close();
  }
  const r = await openPage(`results.html?election=${electionName}&cycle=1&tracker=${trackers[3]}`);
  await r.waitForSelector('body[data-verified]', { timeout: 240000 });
  const verified = await r.evaluate(() => document.body.dataset.verified);
  const checks = await r.$$eval('#checks li', (l) => l.map((x) => `${x.dataset.result}: ${x.textContent}`));
  assert.equal(verified, 'passed', checks.join('\n'));
  assert.ok(checks.length >= 11 && checks.every((c) => c.startsWith('passed')), checks.join('\n'));
  assert.ok(checks.some((c) => /13 ballots from 12 voters \(of 12 on the list\); 1 replaced/.test(c)), checks.join('\n'));
  // the stranger's ballot stays in the box's inbox, out of the accepted ballots
  const inbox = await listAll(`/panoramix/messages/?endpoint_id=${boothId}&box=INBOX`);
  const accepted = await listAll(`/panoramix/messages/?endpoint_id=${boothId}&box=ACCEPTED`);
  assert.deepEqual(inbox.map((m) => m.text), [intruder], 'what the box left in its inbox');
  assert.equal(accepted.length, votes.length + 1);
  assert.ok(!accepted.some((m) => m.text === intruder), 'the stranger\'s ballot is not accepted');
  // each trustee can find its key's fingerprint among the verified key shares
  for (const t of [...trustees, t3]) {
    const fp = await t.textContent('#fingerprint');
    assert.ok(checks[0].includes(fp), `fingerprint ${fp} not in: ${checks[0]}`);
  }
  const tally = Object.fromEntries(await r.$$eval('#tally tr', (rows) => rows.map((x) => [x.dataset.option, Number(x.dataset.votes)])));
  const want = Object.fromEntries(options.map((o) => [o, votes.filter((v) => v === o).length]));
  assert.deepEqual(tally, want, 'the tally counts each voter\'s last ballot');
  assert.equal(await r.evaluate(() => document.body.dataset.spoiled), '0');
  assert.match(await r.textContent('#tally-spoiled'), /spoiled\/invalid\s*0/);
  assert.equal(await r.evaluate(() => document.body.dataset.found), 'yes', 'the tracker is found in the ballot box');
  // the audited ballot was never cast; the replaced one is in the box but not counted
  for (const [t, want] of [[auditedTracker, /Not found/], [revotedTracker, /replaced it/]]) {
    await r.fill('#find-tracker', t);
    await r.click('#find-form button');
    assert.match(await r.textContent('#find-result'), want);
  }
  // election.json: assembled and verified in the page, and by the CLI
  assert.equal(await r.evaluate(() => document.body.dataset.transcript), 'verified');
  const [ej] = await Promise.all([r.waitForEvent('download'), r.click('#download-election')]);
  assert.equal(ej.suggestedFilename(), 'election.json');
  const ejPath = join(keyDir, 'election.json');
  await ej.saveAs(ejPath);
  const transcript = JSON.parse(readFileSync(ejPath, 'utf8'));
  assert.equal(transcript.version, 'panoramix/zeus/v2/election');
  assert.deepEqual(transcript.election.voters, onList);
  assert.equal(transcript.ballots.length, votes.length + 1);
  const cli = spawnSync(findBinary(), ['verify-election', ejPath], { encoding: 'utf8' });
  assert.equal(cli.status, 0, `verify-election: ${cli.stdout}${cli.stderr}`);
  // one changed digit in a shuffle proof: the CLI refuses the file (exit 3)
  const tampered = JSON.stringify(transcript.mixes[0].proof).replace(/[0-9a-f]{64}/, (h) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0'));
  transcript.mixes[0].proof = JSON.parse(tampered);
  writeFileSync(ejPath, JSON.stringify(transcript));
  assert.equal(spawnSync(findBinary(), ['verify-election', ejPath], { encoding: 'utf8' }).status, 3);
  await shot(r, 'results-1-verified');
  await shot(t2, 'trustee-1-page');
  const m = await openPage(`mixnet.html?mixnet=${electionName}&cycle=1`, { width: 1200 });
  await m.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await shot(m, 'mixnet-2-election-round1');
  // the native agent agreed with the browser agents (as coordinator it proposes and
  // they co-sign; otherwise it co-signs the browser coordinator's proposals) and did its share
  assert.match(nativeLog, /(co-signed|proposed) graph:/, nativeLog);
  assert.match(nativeLog, /processed election1-1-mix\d: 12 in, 12 out/, nativeLog);
  assert.match(nativeLog, /processed election1-1-decr\d: 12 in, 12 out/, nativeLog);
  assert.doesNotMatch(nativeLog, /REFUSED/, nativeLog);
  noProblems();
});

test('results: a tampered shuffle proof is shown as failed', { timeout: 120000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const p = await context.newPage();
  p.on('pageerror', (e) => problems.push(`tamper: page error: ${e.message}`));
  // the controller's answer for trustee 2's mix is altered on its way to the page
  await p.route(/\/panoramix\/endpoints\/election1-1-mix1\/?$/, async (route) => {
    const resp = await route.fetch();
    const body = await resp.json();
    let s = JSON.stringify(body.data.process_proof);
    const m = s.match(/[0-9a-f]{64}/);
    assert.ok(m, 'the proof has a hex value to alter');
    const flipped = m[0].slice(0, -1) + (m[0].endsWith('0') ? '1' : '0');
    s = s.replace(m[0], flipped);
    body.data.process_proof = JSON.parse(s);
    await route.fulfill({ response: resp, json: body });
  });
  await p.goto(`${ctl.url}/results.html?election=${electionName}&cycle=1`);
  await p.waitForSelector('body[data-verified]', { timeout: 60000 });
  assert.equal(await p.evaluate(() => document.body.dataset.verified), 'failed');
  const failed = await p.$$eval('#checks li[data-result="failed"]', (l) => l.map((x) => x.textContent));
  // that shuffle's step, and the election transcript that carries the same proof
  assert.equal(failed.length, 2, failed.join('\n'));
  assert.match(failed[0], /Trustee 2's shuffle proof/);
  assert.match(failed[1], /election\.json/);
  assert.equal(await p.evaluate(() => document.body.dataset.transcript), 'failed');
  assert.equal(await p.isDisabled('#download-election'), true, 'no unverified transcript is offered');
  assert.match(await p.textContent('#verdict'), /FAILED/);
  await shot(p, 'results-2-tampered-proof');
  await context.close();
  noProblems();
});

test('threshold election: two browser contributors shuffle, any 3 of 5 browser trustees apart from them count; two trustees never open their page again after the key generation; the tally and election.json verify', { timeout: 300000 }, async () => {
  const name = 'election3of5';
  const tvotes = ['green', 'red', 'green'];
  const q = `mixnet=${name}&backend=ZEUS&count=2&threshold=3&trustees=5&size=${tvotes.length}` +
    `&question=${encodeURIComponent('Which colour for the new logo?')}&options=${options.join(',')}`;
  const org = await openPage(`contributor.html?${q}`);
  await org.waitForSelector('body[data-ready="1"]');
  // the recovery story, before anything is formed
  assert.equal(await org.isVisible('#threshold-card'), true);
  assert.match(await org.textContent('#threshold-h'), /any 3 of 5 count the votes/);
  assert.match(await org.textContent('#threshold-card'), /At key generation[^]*the\s+election does not start/);
  assert.match(await org.textContent('#threshold-card'), /After the key generation[^]*any\s+3\s+trustees suffice/);
  assert.equal(await org.isVisible('#leave-row'), false, 'a contributor that shuffles cannot leave');
  await org.fill('#voter-count', String(tvotes.length));
  await org.click('#gen-credentials');
  await org.waitForSelector(`body[data-voters="${tvotes.length}"]`);
  const booths = await org.$$eval('#booth-links a', (as) => as.map((a) => a.href));
  const link = new URL(await org.textContent('#trustee-link'));
  assert.equal(link.searchParams.get('threshold'), '3', 'the trustee link carries the threshold');
  assert.equal(link.searchParams.get('role'), 'trustee');
  const mixerLink = new URL(await org.textContent('#mixer-link'));
  assert.equal(mixerLink.searchParams.get('role'), 'mixer');
  const dir = mkdtempSync(join(tmpdir(), 'pmx-threshold-'));
  try {
    const mixers = [org, await openPage(`contributor.html${mixerLink.search}&auto=1`)];
    const pages = [];
    for (let i = 0; i < 5; i++) pages.push(await openPage(`contributor.html${link.search}&auto=1`));
    for (const p of [...mixers, ...pages]) await p.waitForSelector('body[data-ready="1"]');
    assert.match(await pages[0].textContent('#key-loss'), /any 3 of the 5 trustees can count, so the election survives 2 lost keys/);
    for (const [i, p] of mixers.entries()) await saveAndReread(p, join(dir, `mixer${i + 1}.json`));
    for (const [i, p] of pages.entries()) await saveAndReread(p, join(dir, `trustee${i + 1}.json`));
    await org.click('#join');
    for (const p of [...mixers, ...pages]) await p.waitForSelector('body[data-joined="1"]', { timeout: 60000 });
    // the key generation: every trustee deals, gives its verdict; the contributors recompute the key
    for (const p of pages) await p.waitForSelector('body[data-dkg="done"]', { timeout: 120000 });
    const dkgTexts = await Promise.all(pages.map((p) => p.textContent('#dkg-status')));
    const fp = dkgTexts[0].match(/election key ([0-9a-f]{4}(?: [0-9a-f]{4}){7})/)?.[1];
    assert.ok(fp, dkgTexts[0]);
    for (const text of dkgTexts) {
      assert.match(text, /5 of 5 trustees qualified/);
      assert.ok(text.includes(fp), 'every trustee computed the same election key');
    }
    await shot(pages[0], 'trustee-threshold-1-key-generation');
    // trustees 2 and 3 will not be there for the tally: right after the key
    // generation they stop and their pages are closed, never to be opened again
    const byNumber = new Map();
    for (const p of pages) byNumber.set(await p.evaluate(() => document.body.dataset.trustee), p);
    assert.deepEqual([...byNumber.keys()].sort(), ['1', '2', '3', '4', '5']);
    const absent = [byNumber.get('2'), byNumber.get('3')];
    for (const [k, p] of absent.entries()) {
      await p.check('#leave-after-keygen');
      await p.waitForSelector('body[data-left="1"]', { timeout: 60000 });
      if (k === 0) await shot(p, 'trustee-threshold-2-left-after-key-generation');
      await p.context().close(); // never opened again
    }
    for (const [i, vote] of tvotes.entries()) {
      const p = await openPage(booths[i]);
      await p.waitForSelector('body[data-screen="1"]', { timeout: 60000 });
      await encrypt(p, vote);
      await p.click('#cast');
      await p.waitForSelector('body[data-screen="3"]', { timeout: 30000 });
      await p.context().close();
    }
    const r = await openPage(`results.html?election=${name}&cycle=1`);
    await r.waitForSelector('body[data-verified]', { timeout: 180000 });
    const checks = await r.$$eval('#checks li', (l) => l.map((x) => `${x.dataset.result}: ${x.textContent}`));
    assert.equal(await r.evaluate(() => document.body.dataset.verified), 'passed', checks.join('\n'));
    assert.ok(checks.every((c) => c.startsWith('passed')), checks.join('\n'));
    assert.match(checks[0], /key generation[^]*5 qualified/, checks[0]);
    assert.ok(checks[0].includes(fp), 'the verified election key is the one the trustee pages show');
    assert.deepEqual(checks.filter((c) => /published no partial decryption/.test(c)).map((c) => c.match(/Trustee (\d)/)[1]), ['2', '3']);
    assert.equal(await r.evaluate(() => document.body.dataset.tallyTrustees), '1,4,5');
    const tally = Object.fromEntries(await r.$$eval('#tally tr', (rows) => rows.map((x) => [x.dataset.option, Number(x.dataset.votes)])));
    assert.deepEqual(tally, Object.fromEntries(options.map((o) => [o, tvotes.filter((v) => v === o).length])));
    // the absent trustees made nothing at tally time: no partial decryption endpoint
    for (const k of [1, 2]) {
      const r404 = await fetch(`${ctl.url}/panoramix/endpoints/${name}-1-decr${k}/`);
      assert.equal(r404.status, 404, `${name}-1-decr${k} was never made`);
    }
    await byNumber.get('1').waitForSelector('body[data-tally="done"]', { timeout: 30000 });
    assert.match(await byNumber.get('1').textContent('#tally-status'), /trustees 1, 4, 5 \(3 of 5; 3 needed\)/);
    await shot(byNumber.get('1'), 'trustee-threshold-3-tally');
    await shot(r, 'results-3-threshold-verified');
    // the mix-net view draws the round with the combination at the first trustee
    const m = await openPage(`mixnet.html?mixnet=${name}&cycle=1`, { width: 1200 });
    await m.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    await m.waitForSelector(`svg.graph g[data-endpoint="${name}-1-combine"][data-status="PROCESSED"]`, { timeout: 30000 });
    const drawn = Object.fromEntries(await m.$$eval('svg.graph g[data-endpoint]', (gs) => gs.map((g) => [g.dataset.endpoint, g.dataset.status])));
    assert.deepEqual(Object.keys(drawn).filter((id) => drawn[id] !== 'PROCESSED').sort(), [`${name}-1-decr1`, `${name}-1-decr2`]);
    assert.match(await m.textContent('#status'), /any 3 count the votes; key generation PROCESSED/);
    assert.match(await m.textContent(`svg.graph g[data-endpoint="${name}-1-combine"]`), /owner 1/);
    await shot(m, 'mixnet-3-threshold-election');
    // election.json: the three trustees' partial decryptions, verified by the CLI
    assert.equal(await r.evaluate(() => document.body.dataset.transcript), 'verified');
    const [ej] = await Promise.all([r.waitForEvent('download'), r.click('#download-election')]);
    const ejPath = join(dir, 'election.json');
    await ej.saveAs(ejPath);
    const transcript = JSON.parse(readFileSync(ejPath, 'utf8'));
    assert.deepEqual(transcript.partial_decryptions.map((d) => d.trustee), [0, 3, 4]);
    const cli = spawnSync(findBinary(), ['verify-election', ejPath], { encoding: 'utf8' });
    assert.equal(cli.status, 0, `verify-election: ${cli.stdout}${cli.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  noProblems();
});

test('an unreachable controller is reported clearly', { timeout: 60000 }, async () => {
  // a loopback port that was just free: nothing listens there (port 9, used before,
  // is one Chromium refuses to connect to at all, ERR_UNSAFE_PORT)
  const port = await new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
  const dead = `http://127.0.0.1:${port}`;
  // the one console error Chromium logs for it: the refused request to that port
  // (any other console error, and every page error, still fails the test)
  const refused = [];
  const allowConsoleError = (m) => {
    const ok = m.text() === 'Failed to load resource: net::ERR_CONNECTION_REFUSED' &&
      m.location().url.startsWith(`${dead}/`);
    if (ok) refused.push(m.location().url);
    return ok;
  };
  const p = await openPage(`chat.html?room=room1&controller=${encodeURIComponent(dead)}`, { allowConsoleError });
  await p.waitForSelector('#error:not([hidden])', { timeout: 30000 });
  assert.match(await p.textContent('#error'), /cannot be reached/);
  assert.ok(refused.length > 0, 'the refused request was logged');
  await shot(p, 'chat-4-controller-unreachable');
  noProblems();
  // the home page, against the live controller: no error of any kind
  const h = await openPage('index.html');
  await h.waitForSelector('#status:not(:empty)', { timeout: 30000 });
  assert.match(await h.textContent('#status'), /The controller answers: id [0-9a-f]{16}/);
  assert.equal(await h.isHidden('#error'), true, 'no error shown');
  await shot(h, 'home');
  noProblems();
});

test('the pages also work from another static server, pointed at the controller with ?controller=', { timeout: 60000 }, async () => {
  const types = { html: 'text/html', js: 'text/javascript', css: 'text/css', wasm: 'application/wasm', json: 'application/json' };
  const server = createServer((req, res) => {
    const path = resolve(WEB, '.' + decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!path.startsWith(WEB) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.split('.').pop()] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
    const p = await context.newPage();
    p.on('pageerror', (e) => problems.push(`static: page error: ${e.message}`));
    p.on('console', (m) => m.type() === 'error' && problems.push(`static: console error: ${m.text()}`));
    await p.goto(`http://127.0.0.1:${server.address().port}/chat.html?room=room1&controller=${encodeURIComponent(ctl.url)}`);
    await p.waitForSelector('section[data-round="1"] li:nth-child(6)', { timeout: 30000 });
    assert.equal(await p.textContent('#controller-url'), ctl.url);
    await shot(p, 'chat-5-other-static-server-375px');
    // no horizontal scrolling at 375 px
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 376), 'the page fits 375 px');
    await context.close();
  } finally {
    server.close();
  }
  noProblems();
});
