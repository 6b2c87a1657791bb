// Utilization over time: the samples the gateway stores (GET /v1/pool/history: CPUs, memory
// and accelerators of every center), loaded when the pool page opens and topped up as new ones
// are taken, followed by the samples this page takes live at every poll.
import { api } from "./api.js";

export const SPANS = [
  [900, "15 minutes"],
  [3600, "1 hour"],
  [6 * 3600, "6 hours"],
  [24 * 3600, "24 hours"],
];

function point(total) {
  return {
    t: total.at,
    cpu: [total.cpus_used, total.cpus],
    acc: [total.accelerators_used, total.accelerators],
    mem: total.memory_gb === null ? null : [total.memory_gb_used, total.memory_gb], // null: sampled before memory was
    stored: true,
  };
}

export class StoredHistory {
  constructor(spanSeconds = 3600) {
    this.span = spanSeconds;
    this.reset();
  }

  reset() {
    this.stored = [];
    this.every = null; // the gateway's sampling interval, from its answer
    this.fetchedAt = 0;
    this.error = null;
    this.pending = null;
  }

  setSpan(seconds) {
    this.span = seconds;
    this.reset();
  }

  /** Read what was stored since the last sample we have (the whole span the first time). */
  update() {
    const now = Date.now() / 1000;
    if (this.pending) return this.pending;
    if (this.fetchedAt && now - this.fetchedAt < Math.max(this.every ?? 60, 1)) return Promise.resolve();
    const last = this.stored.length ? this.stored[this.stored.length - 1].t : null;
    const since = last ?? Math.max(now - this.span, 0);
    this.pending = api(`v1/pool/history?since=${since.toFixed(3)}`)
      .then((body) => {
        this.every = body.sample_seconds;
        this.error = null;
        const fresh = body.total.filter((p) => last === null || p.at > last).map(point);
        const oldest = Date.now() / 1000 - this.span;
        this.stored = this.stored.concat(fresh).filter((p) => p.t >= oldest);
      })
      .catch((err) => {
        this.error = err;
      })
      .finally(() => {
        this.fetchedAt = Date.now() / 1000;
        this.pending = null;
      });
    return this.pending;
  }

  /**
   * Every point in the span, oldest first: the stored samples, then the live ones taken after
   * the newest of them.
   */
  points(live) {
    const last = this.stored.length ? this.stored[this.stored.length - 1].t : -Infinity;
    const oldest = Date.now() / 1000 - this.span;
    const recent = live.filter((p) => p.t >= oldest && p.t > last);
    return this.stored.concat(recent).sort((a, b) => a.t - b.t);
  }
}
