// Shared by every page: the controller URL, loading the WebAssembly package,
// status and error reporting, small DOM helpers.
import * as pmx from '../vendor/panoramix/index.js';

export { pmx };

/** Query parameters of the page. */
export const params = new URLSearchParams(location.search);

/**
 * The controller's base URL: `?controller=` (remembered), else the last one used,
 * else the origin that served the page (`panoramix serve --static-dir web-demo`).
 */
export function controllerUrl() {
  const q = params.get('controller');
  if (q) {
    try {
      localStorage.setItem('panoramix.controller', q);
    } catch {
      /* storage may be disabled */
    }
    return q.replace(/\/+$/, '');
  }
  try {
    const s = localStorage.getItem('panoramix.controller');
    if (s) return s;
  } catch {
    /* ignore */
  }
  return location.origin;
}

/** A link to another page of the demo, keeping the controller parameter. */
export function pageLink(page, extra = {}) {
  const q = new URLSearchParams();
  if (params.get('controller')) q.set('controller', params.get('controller'));
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  return s ? `${page}?${s}` : page;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Create an element: el('li', {class: 'x'}, 'text', child...). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** Show an error in the page's alert region (role=alert). */
export function showError(message) {
  const box = $('#error');
  if (!box) return;
  box.hidden = false;
  box.textContent = message;
  document.body.dataset.error = '1';
}

export function clearError() {
  const box = $('#error');
  if (box) {
    box.hidden = true;
    box.textContent = '';
  }
  delete document.body.dataset.error;
}

/** Describe an error for people: unreachable controller, refused request, crypto failure. */
export function explain(e) {
  if (!e) return 'unknown error';
  if (e.code === 'transport') {
    return `The controller at ${controllerUrl()} cannot be reached. Is it running? (${e.message})`;
  }
  if (e.status) return `The controller refused the request: ${e.message}`;
  return e.message ?? String(e);
}

/** Status line (role=status, polite). */
export function status(text) {
  const s = $('#status');
  if (s) s.textContent = text;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Load the WebAssembly module and connect to the controller with `secret`. */
export async function connect(secret) {
  await pmx.init();
  const url = controllerUrl();
  const shown = $('#controller-url');
  if (shown) shown.textContent = url;
  return pmx.PanoramixClient.connect(secret ?? pmx.generateKeypair().secret, url);
}

/** An unsigned GET against the controller (for the read-only pages). */
export async function apiGet(path) {
  let r;
  try {
    r = await fetch(controllerUrl() + path);
  } catch (e) {
    const err = new Error(`cannot reach the controller: ${e.message}`);
    err.code = 'transport';
    throw err;
  }
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const err = new Error(`${r.status} ${body?.error?.code ?? ''}: ${body?.error?.message ?? ''}`);
    err.status = r.status;
    throw err;
  }
  return body;
}

/** Every item of a paged list route. */
export async function apiList(path) {
  const out = [];
  let after = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await apiGet(path + sep + 'limit=1000' + (after !== null ? `&after=${encodeURIComponent(after)}` : ''));
    out.push(...(r.data ?? []));
    if (r.next === null || r.next === undefined) return out;
    after = r.next;
  }
}

/** Owners of a peer, in order. */
export function ownersOf(peer) {
  return (peer.owners ?? []).map((o) => (typeof o === 'string' ? o : o.owner_key_id));
}

/** Short form of a long hex id. */
export const short = (h) => (h && h.length > 16 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h);

/** The mix-net (joint peer) called `name`, or null: found among the peers. */
export async function findMixnet(name) {
  const peers = await apiList('/panoramix/peers/');
  const p = peers.find((x) => x.name === name && (x.owners ?? []).length > 0);
  return p ?? null;
}

/** A progress indicator `<progress>` with a label. */
export function progress(label, value, max) {
  const p = $('#progress');
  if (!p) return;
  p.hidden = false;
  $('progress', p).max = max ?? 1;
  if (value === undefined) $('progress', p).removeAttribute('value');
  else $('progress', p).value = value;
  $('.label', p).textContent = label;
}

export function progressDone() {
  const p = $('#progress');
  if (p) p.hidden = true;
}

/** Offer `text` as a file download. */
export function download(filename, text) {
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/plain' })), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
}

// keep `?controller=` on the navigation links, and show the controller URL
for (const a of document.querySelectorAll('a[data-keep]')) a.href = pageLink(a.getAttribute('href'));
{
  const shown = document.querySelector('#controller-url');
  if (shown) shown.textContent = controllerUrl();
}
