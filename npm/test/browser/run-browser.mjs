// Serve the consumer project (this directory's parent holds node_modules) under a
// strict Content-Security-Policy and open the page in headless Chromium; the page
// reports its result with a POST. Usage: node run-browser.mjs <app dir>
// or: node run-browser.mjs --upstream=<url> — every request but the report is then
// passed to that server (a Vite dev or preview server), with the CSP added.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, extname } from 'node:path';

const arg = process.argv[2] ?? '';
const upstream = arg.startsWith('--upstream=') ? arg.slice('--upstream='.length) : null;
const root = upstream ? null : arg;
// PMX_CONNECT_EXTRA: more connect-src origins (the Vite dev client's websocket to
// the dev server's own port); script-src stays 'self' 'wasm-unsafe-eval' always
const connect = ["'self'", ...(process.env.PMX_CONNECT_EXTRA ?? '').split(' ').filter(Boolean)];
const CSP =
  `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src ${connect.join(' ')}`;
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
let done;
const result = new Promise((r) => (done = r));
const server = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/report') {
    let body = '';
    for await (const c of req) body += c;
    res.end('ok');
    done(JSON.parse(body));
    return;
  }
  if (upstream) {
    try {
      const r = await fetch(new URL(req.url, upstream), { headers: { accept: req.headers.accept ?? '*/*' } });
      const data = Buffer.from(await r.arrayBuffer());
      res.writeHead(r.status, {
        'content-type': r.headers.get('content-type') ?? 'application/octet-stream',
        'content-security-policy': CSP,
      });
      res.end(data);
    } catch (e) {
      res.writeHead(502).end(String(e));
    }
    return;
  }
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  const file = join(root, path === '/' ? 'index.html' : path);
  try {
    const data = await readFile(file);
    res.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
    });
    res.end(data);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const chrome = spawn(
  process.env.CHROMIUM ?? '/usr/bin/chromium',
  [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'pmx-chrome-'))}`,
    url,
  ],
  { stdio: 'ignore' },
);
const timeout = new Promise((r) => setTimeout(() => r({ ok: false, error: 'timed out' }), 60000));
const r = await Promise.race([result, timeout]);
chrome.kill('SIGKILL');
server.close();
console.log(JSON.stringify(r));
console.log(r.ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
process.exit(r.ok ? 0 : 1);
