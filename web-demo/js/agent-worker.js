// A Web Worker running a browser contributor's agent: it holds the contributor's
// identity and backend key (Sphinx mix key or Zeus trustee key share) and does the
// mix-net work (including the heavy batch processing) off the page's main thread.
// Messages in: {type: 'start', controller, identity, secrets, joint}, {type: 'stop'},
// {type: 'leave', after}: `after` an endpoint id (a threshold trustee's own mix), or
// null to stay: the agent stops at the end of the step that processed it (at once if
// it is processed already), so this trustee takes no part in the tally (any t
// trustees suffice).
// Messages out: {type: 'event', text}, {type: 'busy', busy}, {type: 'error', text},
// {type: 'left'} (after `leaveAfter`).
import { init, initContributor, PanoramixClient } from '../vendor/panoramix/index.js';
import { Agent } from './agent.js';

let running = false;
let leaveAfter = null;
const done = new Set(); // the endpoints this agent processed

/** Leave if the endpoint to leave after is processed. */
function leaveIfDone() {
  if (running && leaveAfter && done.has(leaveAfter)) {
    running = false;
    self.postMessage({ type: 'left' });
  }
}

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === 'stop') {
    running = false;
    return;
  }
  if (m.type === 'leave') {
    leaveAfter = m.after ?? null;
    leaveIfDone();
    return;
  }
  if (m.type !== 'start' || running) return;
  running = true;
  try {
    await Promise.all([init(), initContributor()]); // client + contributor modules
    const client = await PanoramixClient.connect(m.identity, m.controller);
    const agent = new Agent(client, m.secrets, m.joint, (text) => self.postMessage({ type: 'event', text }));
    let failures = 0;
    while (running) {
      let acted = false;
      try {
        self.postMessage({ type: 'busy', busy: true });
        const st = await agent.step();
        acted = st.acted;
        failures = 0;
        self.postMessage({ type: 'cycle', cycle: agent.cycle });
        for (const e of st.events) {
          const p = /^processed (\S+):/.exec(e);
          if (p) done.add(p[1]);
        }
        leaveIfDone();
      } catch (e) {
        failures += 1;
        self.postMessage({ type: 'error', text: `${e.code ?? 'error'}: ${e.message ?? e}` });
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * failures)));
      } finally {
        self.postMessage({ type: 'busy', busy: false });
      }
      // wake on the controller's next change (its change feed), or poll every 150 ms
      if (!acted && running) await agent.waitForChange();
    }
  } catch (e) {
    self.postMessage({ type: 'error', text: `${e.code ?? 'error'}: ${e.message ?? e}`, fatal: true });
    running = false;
  }
};
