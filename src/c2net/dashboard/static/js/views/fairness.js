// Fairness across tenants (operators): each account's weight, quota, holdings, dominant share
// of the pool next to the share its weight entitles it to, and Jain's index. The API decides
// who may see it: for any other token it answers 403 and the panel stays hidden.
import { api } from "../api.js";
import { pairedBars } from "../charts.js";
import { alertBox, fill, h, table } from "../dom.js";
import { accelerators, num, share } from "../format.js";

const accTotal = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);

function quota(q) {
  const parts = [
    q.max_cpus === null ? null : `${num(q.max_cpus)} CPUs`,
    q.max_memory_gb === null ? null : `${num(q.max_memory_gb)} GB`,
    q.max_accelerators === null ? null : `${num(q.max_accelerators)} accel.`,
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "no limit";
}

function holds(held) {
  const acc = accTotal(held.accelerators);
  return `${num(held.cpus)} CPUs, ${num(held.memory_gb)} GB${acc ? `, ${accelerators(held.accelerators)}` : ""}`;
}

function row(t) {
  const cell = (field, text, cls = "num") => h("td", { class: cls, dataset: { field } }, text);
  return h("tr", { dataset: { account: t.account } },
    h("th", { scope: "row" }, t.account),
    cell("weight", num(t.weight)),
    cell("quota", quota(t.quota), ""),
    cell("held", holds(t.held), ""),
    cell("running", String(t.running)),
    cell("queued", String(t.queued)),
    cell("dominant", t.dominant_resource ? `${share(t.dominant_share)} ${t.dominant_resource}` : "–"),
    cell("weighted", share(t.weighted_share)),
    cell("entitled", t.entitled_share === null ? "–" : share(t.entitled_share)),
  );
}

function render(body, f) {
  const active = f.tenants.filter((t) => t.entitled_share !== null);
  const pool = `${num(f.pool.cpus)} CPUs, ${num(f.pool.memory_gb)} GB, ${num(accTotal(f.pool.accelerators))} accelerators`;
  fill(body,
    h("p", {},
      h("span", { class: "jain", id: "jain" }, f.jain_index.toFixed(2)),
      " Jain's fairness index over the weighted shares of ",
      h("strong", {}, String(f.active)), ` tenant${f.active === 1 ? "" : "s"} with work (1: each stands at its weight).`),
    h("p", { class: "muted small" }, `Dominant share: the largest fraction of any resource of the healthy pool (${pool}) the tenant's running work holds; weighted: that over its weight; entitled: its weight over the weights of every tenant with work.`),
    active.length
      ? pairedBars({
        label: "Dominant share of the pool next to the entitled share, per tenant with work",
        names: ["share", "entitled"],
        classes: ["", "west"],
        format: share,
        items: active.map((t) => ({ label: t.account, values: [t.dominant_share, t.entitled_share] })),
      })
      : h("p", { class: "muted" }, "No tenant has work running or queued."),
    h("h3", { class: "sub" }, "Tenants"),
    table({
      caption: "Fairness across tenants",
      cls: "fairness",
      head: ["Account", { text: "Weight", cls: "num" }, "Quota", "Holds", { text: "Running", cls: "num" }, { text: "Queued", cls: "num" }, { text: "Dominant share", cls: "num" }, { text: "Weighted", cls: "num" }, { text: "Entitled", cls: "num" }],
      rows: f.tenants.map(row),
      empty: "No consumer account yet.",
    }),
  );
}

/** The panel and its refresh: hidden until the API lets this token see fairness. */
export function fairnessPanel() {
  const body = h("div");
  const el = h("section", { class: "panel", "aria-labelledby": "fair-h", hidden: true },
    h("h2", { id: "fair-h" }, "Fairness across tenants"), body);
  async function refresh() {
    try {
      render(body, await api("v1/pool/fairness"));
      el.hidden = false;
    } catch (err) {
      const refused = err.status === 401 || err.status === 403 || err.status === 404;
      el.hidden = refused;
      if (!refused) fill(body, alertBox(err.explain ? err.explain() : String(err)));
    }
  }
  return { el, refresh };
}
