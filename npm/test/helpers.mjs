// Test helpers: a real native controller, the native helper (pmx-native), polling.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PANORAMIX_BIN = process.env.PANORAMIX_BIN;
export const PMX_NATIVE = process.env.PMX_NATIVE;

/** Start `panoramix serve` on an ephemeral loopback port with a fresh database. */
export function startController() {
  if (!PANORAMIX_BIN) throw new Error('set PANORAMIX_BIN to the panoramix binary');
  const dir = mkdtempSync(join(tmpdir(), 'pmx-ctl-'));
  const child = spawn(
    PANORAMIX_BIN,
    ['serve', '--listen', '127.0.0.1:0', '--db', join(dir, 'controller.sqlite3')],
    // a fresh passphrase for this throw-away controller: serve refuses to keep its key in plaintext
    { env: { ...process.env, PANORAMIX_LOG: 'warn', PANORAMIX_PASSPHRASE: randomBytes(16).toString('hex') }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('controller did not start')), 30000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/panoramix: listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => child.kill('SIGKILL'), child });
      }
    });
    child.on('exit', (code) => reject(new Error(`controller exited with ${code}`)));
  });
}

/** Run `pmx-native <cmd>` with `input` as JSON on stdin; resolves its JSON output. */
export function native(cmd, input = {}, env = {}) {
  if (!PMX_NATIVE) throw new Error('set PMX_NATIVE to the pmx-native binary');
  return new Promise((resolve, reject) => {
    const child = spawn(PMX_NATIVE, [cmd], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      try {
        const v = JSON.parse(out);
        if (code === 0 || code === 1) resolve({ code, ...v });
        else reject(new Error(`pmx-native ${cmd} exited ${code}: ${err}`));
      } catch {
        reject(new Error(`pmx-native ${cmd} exited ${code}: ${err}${out}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** Run a command, resolve {code, stdout, stderr}. */
export function run(bin, args) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Poll `f` until it returns a non-null value. */
export async function waitFor(what, f, timeoutMs = 90000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
