// The browser contributor's agent: the package's Contributor, i.e. the contributor
// protocol's state machine (the same Rust code as the native `panoramix contribute`
// agent, in the contributor module). This file is only glue: it hands the machine
// the contributor's client and backend secrets and reports its events; the web demo
// runs it inside a Web Worker (agent-worker.js). `cycleGraph` is the package's
// `mixnetGraph` (the graph every contributor agrees on), for the pages that draw it.
import { Contributor, mixnetGraph } from '../vendor/panoramix/index.js';

/**
 * The endpoints of `cycle` (the native MixnetSpec::graph); `key`: a threshold
 * election's key generation result, which its endpoints carry.
 */
export function cycleGraph(spec, joint, owners, trustees, cycle, key) {
  return mixnetGraph(spec, joint, owners, trustees.filter(Boolean), cycle, key);
}

export class Agent {
  /**
   * `client`: a PanoramixClient of an owner; `secrets`: `{mix}` or `{trustee}`;
   * `joint`: the mix-net's peer id; `log(event)` receives what it did.
   */
  constructor(client, secrets, joint, log = () => {}) {
    this.contributor = new Contributor(secrets, client, { joint, onEvent: log });
  }

  /** The cycle being worked on. */
  get cycle() {
    return this.contributor.cycle;
  }

  /** Do what can be done now; returns `{acted, finished, events}`. */
  step() {
    return this.contributor.step();
  }

  /** After a step that did nothing: wait for the controller's next change. */
  waitForChange() {
    return this.contributor.waitForChange({ idleMs: 150 });
  }
}
