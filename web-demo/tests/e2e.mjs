// End-to-end tests of the web demonstrators: playwright-core drives Debian's
// Chromium (headless) against a native `panoramix serve` on 127.0.0.1 that also
// serves the pages. Browser pages are the mix-net contributors and trustees.
// Screenshots go to web-demo/tests/screenshots/ (gitignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    { env: { ...process.env, PANORAMIX_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error('the controller did not start in 30 s')), 30000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/panoramix: listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1].replace(/\/+$/, ''), stop: () => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); } });
      }
    });
    child.on('exit', (code) => fail(new Error(`the controller exited with ${code}`)));
  });
}

let ctl;
let browser;
const problems = [];

before(async () => {
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
  await browser?.close();
  ctl?.stop();
});

/** A page in a fresh browser context (a separate user), failing on page errors. */
async function openPage(path, { width = 900, height = 900, expectErrors = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${path}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !expectErrors) problems.push(`${path}: console error: ${m.text()}`);
  });
  await page.goto(`${ctl.url}/${path}`);
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
  const sent = [];
  for (let k = 1; k <= 2; k++) {
    for (let u = 0; u < 3; u++) {
      const text = `${names[u]} says hello #${k}`;
      await users[u].fill('#message', text);
      await users[u].click('#send');
      await users[u].waitForSelector(`body[data-sent="${k}"]`, { timeout: 30000 });
      sent.push(text);
    }
  }
  await shot(users[0], 'chat-1-sent');
  const orders = [];
  for (const p of users) {
    await p.waitForSelector('section[data-round="1"] li:nth-child(6)', { timeout: 180000 });
    orders.push(await p.$$eval('section[data-round="1"] li', (lis) => lis.map((l) => l.dataset.text)));
  }
  for (const o of orders) {
    assert.deepEqual([...o].sort(), [...sent].sort(), 'every message exactly once');
    assert.deepEqual(o, orders[0], 'everyone sees the same mixed order');
  }
  assert.notDeepEqual(orders[0], sent, 'the output is not in the sending order');
  for (let i = 0; i < 3; i++) await shot(users[i], `chat-2-round-${names[i]}`);
  await shot(contributors[0], 'chat-3-contributor');
  const processed = await Promise.all(contributors.map((c) => c.evaluate(() => Number(document.body.dataset.processed ?? 0))));
  assert.deepEqual(processed, [1, 1, 1], 'each browser contributor processed its batch');
  noProblems();
});
