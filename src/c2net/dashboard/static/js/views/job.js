// One job: summary, why it is where it is (or why it waits), attempts, spec and a live log tail.
import { api } from "../api.js";
import { alertBox, fill, h, table } from "../dom.js";
import { offersTable } from "./submit.js";
import { accelerators, duration, money, price, stateClass, TERMINAL, when } from "../format.js";

const LOG_LIMIT = 200_000; // characters kept on the page; older output is dropped from view

function summary(j) {
  const item = (label, value, field) => h("div", {}, h("dt", {}, label), h("dd", { dataset: field ? { field } : {} }, value));
  return h("dl", { class: "facts" },
    item("State", h("span", { class: stateClass(j.state) }, j.state), "state"),
    item("Center", j.center || "–", "center"),
    item("Submitted", when(j.submitted_at)),
    item("Ended", when(j.ended_at)),
    item("Exit code", j.exit_code === null ? "–" : String(j.exit_code), "exit"),
    item("Wall (billed)", duration(j.wall_seconds)),
    item("Cost so far", money(j.cost, j.currency), "cost"),
    item("Attempts", String(j.attempts.length), "attempts"),
  );
}

function placement(j, st) {
  const out = [h("p", { class: "reason", dataset: { field: "reason" } }, j.reason || "–")];
  const last = j.attempts[j.attempts.length - 1];
  if (last) {
    const c = st.ctx.centers.find((x) => x.name === last.center);
    out.push(h("p", { class: "small" },
      `Attempt ${last.number} was placed at ${last.center}`,
      c ? ` (${c.hub}, ${c.role})` : "",
      ` on node ${last.node} at ${price(last.price_per_hour, j.currency)}/h, the price fixed for that attempt.`));
  }
  if (j.exclusions.length) {
    out.push(table({
      caption: "Centers that cannot take this job, and why",
      cls: "exclusions",
      head: ["Center", "Reason", "Detail"],
      rows: j.exclusions.map((e) => h("tr", { dataset: { center: e.center } }, h("td", {}, e.center), h("td", {}, h("code", {}, e.code)), h("td", {}, e.detail))),
    }));
  } else if (j.state === "PENDING") {
    out.push(h("p", { class: "muted small" }, "No center was excluded: the job waits for the next scheduling cycle."));
  }
  out.push(h("div", { class: "row" }, h("button", { type: "button", onclick: () => compare(j, st) }, "Compare with current offers")), st.offers);
  return out;
}

async function compare(j, st) {
  try {
    const q = await api("v1/quotes", { method: "POST", body: j.spec });
    fill(st.offers, h("p", { class: "muted small" }, "What each center would charge for this spec now, cheapest first:"), q.message ? h("p", { class: "alert warn" }, q.message) : null, offersTable(q, j.currency));
  } catch (err) {
    fill(st.offers, alertBox(err.explain ? err.explain() : String(err)));
  }
}

function attempts(j) {
  return table({
    caption: "Attempts",
    cls: "attempts",
    head: [{ text: "#", cls: "num" }, "Center", { text: "Node", cls: "num" }, "State", "Resources", { text: "Price/h", cls: "num" }, "Started", { text: "Wall", cls: "num" }, { text: "Exit", cls: "num" }, { text: "Cost", cls: "num" }, "Note"],
    rows: j.attempts.map((a) => {
      const res = `${a.resources.cpus} cpus, ${a.resources.memory_gb} GB${Object.keys(a.resources.accelerators || {}).length ? `, ${accelerators(a.resources.accelerators)}` : ""}`;
      return h("tr", { dataset: { attempt: a.number } },
        h("td", { class: "num" }, String(a.number)),
        h("td", {}, a.center),
        h("td", { class: "num" }, String(a.node)),
        h("td", {}, h("span", { class: stateClass(a.state) }, a.state)),
        h("td", {}, res),
        h("td", { class: "num" }, price(a.price_per_hour, j.currency)),
        h("td", {}, when(a.started_at)),
        h("td", { class: "num" }, duration(a.wall_seconds)),
        h("td", { class: "num" }, a.exit_code === null ? "–" : String(a.exit_code)),
        h("td", { class: "num" }, money(a.cost, j.currency)),
        h("td", { class: "small" }, a.billed ? a.reason : `not billed${a.reason ? `: ${a.reason}` : ""}`),
      );
    }),
    empty: "Not placed yet.",
  });
}

export const jobView = {
  title: (st) => `Job ${st.id}`,
  mount(root, ctx, id) {
    const st = {
      id: Number(id),
      ctx,
      offset: 0,
      offers: h("div", { "aria-live": "polite" }),
      logDone: false,
      head: h("div", { class: "page-head" }, h("h1", {}, `Job ${id}`)),
      alert: h("div"),
      facts: h("div"),
      why: h("div"),
      attempts: h("div"),
      spec: h("pre", { class: "code", tabindex: "0", "aria-label": "Job spec" }),
      log: h("pre", { class: "log", id: "log", tabindex: "0", role: "log", "aria-label": "Job output", "aria-live": "off" }),
      logNote: h("p", { class: "muted small", "aria-live": "polite" }, "Waiting for output…"),
      follow: h("input", { type: "checkbox", id: "follow", checked: true }),
    };
    fill(root,
      h("p", { class: "crumbs" }, h("a", { href: "#/jobs" }, "← Jobs")),
      st.head, st.alert,
      h("div", { class: "split" },
        h("section", { class: "panel", "aria-labelledby": "facts-h" }, h("h2", { id: "facts-h" }, "Summary"), st.facts),
        h("section", { class: "panel", "aria-labelledby": "why-h" }, h("h2", { id: "why-h" }, "Placement"), st.why),
      ),
      h("section", { class: "panel", "aria-labelledby": "att-h" }, h("h2", { id: "att-h" }, "Attempts"), st.attempts),
      h("section", { class: "panel", "aria-labelledby": "log-h" },
        h("div", { class: "panel-head" }, h("h2", { id: "log-h" }, "Output"),
          h("label", { class: "check small" }, st.follow, " follow")),
        st.log, st.logNote),
      h("section", { class: "panel", "aria-labelledby": "spec-h" }, h("h2", { id: "spec-h" }, "Spec"), st.spec),
    );
    return st;
  },
  async refresh(st) {
    let j;
    try {
      j = await api(`v1/jobs/${st.id}`);
    } catch (err) {
      fill(st.alert, alertBox(err.explain ? err.explain() : String(err)));
      return;
    }
    fill(st.alert);
    this.renderJob(st, j);
    await this.tail(st, j.state);
  },
  renderJob(st, j) {
    const cancel = TERMINAL.has(j.state)
      ? null
      : h("button", {
          type: "button",
          class: "danger",
          disabled: j.cancel_requested,
          "aria-label": `Cancel job ${j.id}`,
          onclick: async (ev) => {
            ev.target.disabled = true;
            try {
              await api(`v1/jobs/${j.id}/cancel`, { method: "POST" });
            } catch (err) {
              fill(st.alert, alertBox(err.explain ? err.explain() : String(err)));
            }
            st.ctx.refresh();
          },
        }, j.cancel_requested ? "Cancelling…" : "Cancel");
    fill(st.head,
      h("h1", {}, `Job ${j.id} `, h("span", { class: "muted" }, j.name)),
      h("span", { class: stateClass(j.state), id: "job-state", role: "status" }, j.state),
      cancel,
    );
    fill(st.facts, summary(j));
    fill(st.why, placement(j, st));
    fill(st.attempts, attempts(j));
    const spec = JSON.stringify(j.spec, null, 2);
    if (st.spec.textContent !== spec) st.spec.textContent = spec;
  },
  async tail(st, state) {
    if (st.logDone) return;
    for (let i = 0; i < 20; i++) {
      const chunk = await api(`v1/jobs/${st.id}/logs?offset=${st.offset}`);
      if (chunk.data) {
        st.log.append(document.createTextNode(chunk.data));
        if (st.log.textContent.length > LOG_LIMIT) st.log.textContent = st.log.textContent.slice(-LOG_LIMIT);
        if (st.follow.checked) st.log.scrollTop = st.log.scrollHeight;
      }
      st.offset = chunk.next_offset;
      if (!chunk.data) {
        if (TERMINAL.has(chunk.state) && TERMINAL.has(state)) {
          st.logDone = true;
          fill(st.logNote, `${st.offset.toLocaleString("en")} characters; the job has ended.`);
        } else {
          fill(st.logNote, st.offset ? `${st.offset.toLocaleString("en")} characters so far; following.` : "Waiting for output…");
        }
        return;
      }
    }
  },
};
