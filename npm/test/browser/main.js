// A plain <script type="module"> page under a strict CSP: Sphinx on the main
// thread (init() loads the client module only, initContributor() the contributor
// module), a Zeus election in a module Web Worker importing the
// '@panoramix/mixnet/contributor' entry; reports to the server.
import {
  init,
  initContributor,
  isContributorInitialized,
  generateKeypair,
  sphinxKeygen,
  sphinxWrap,
  sphinxProcessBatch,
  signEnvelope,
  verifyEnvelope,
} from './node_modules/@panoramix/mixnet/dist/index.js';

const report = (o) => fetch('/report', { method: 'POST', body: JSON.stringify(o) });
document.addEventListener('securitypolicyviolation', (e) =>
  report({ ok: false, where: 'csp', error: `${e.violatedDirective} ${e.blockedURI}` }),
);
try {
  await init();
  await init(); // idempotent
  // init() loads the client module only; the contributor module comes on demand
  const wasmFetched = () =>
    performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('.wasm'));
  const clientOnly =
    !isContributorInitialized() && !wasmFetched().some((n) => n.includes('panoramix_contributor'));
  let notInitialized = null;
  try {
    sphinxProcessBatch(sphinxKeygen().secret, null, []);
  } catch (e) {
    notInitialized = e.code;
  }
  await initContributor();
  const me = generateKeypair();
  const mixes = [sphinxKeygen(), sphinxKeygen(), sphinxKeygen()];
  let batch = [sphinxWrap(null, mixes.map((m) => m.publicKey), 'bob', 'hello').text];
  for (const m of mixes) batch = sphinxProcessBatch(m.secret, null, batch).outputs.map((o) => o.text);
  const env = signEnvelope(me.secret, { text: batch[0] }, { resource: 'message' });
  const signed = verifyEnvelope(env).signerId === me.keyId;
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const fromWorker = await new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    worker.postMessage({ votes: ['yes', 'no', 'yes'] });
  });
  const ok =
    batch[0] === 'hello' && signed && clientOnly && notInitialized === 'not_initialized' && fromWorker.ok;
  document.body.textContent = ok ? 'OK' : 'FAILED';
  await report({
    ok,
    main: { plaintext: batch[0], signed, clientOnly, notInitialized, wasm: wasmFetched() },
    worker: fromWorker,
  });
} catch (e) {
  await report({ ok: false, error: String(e && e.stack ? e.stack : e), code: e && e.code });
}
