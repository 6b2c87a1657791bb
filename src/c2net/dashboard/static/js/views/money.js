// Money: the signed-in account's balance; the bill as the API returns it for this token (a
// consumer's spend, a provider's revenue, or the whole network's for an operator), by day, by
// center, by side, line by line; and for operators, fairness across tenants.
import { api } from "../api.js";
import { bars, columnChart } from "../charts.js";
import { alertBox, fill, h, table } from "../dom.js";
import { day, duration, exact, money, pct, price, stateClass, symbol, when } from "../format.js";
import { fairnessPanel } from "./fairness.js";

const accTotal = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);

function byDay(lines, days = 14) {
  const sums = new Map();
  const today = new Date();
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
    sums.set(day(d.getTime() / 1000), 0);
  }
  for (const l of lines) {
    const key = day(l.started_at ?? l.ended_at ?? Date.now() / 1000);
    if (sums.has(key)) sums.set(key, sums.get(key) + l.cost);
  }
  return [...sums].map(([label, value]) => ({ label, short: label.slice(8), value }));
}

function csv(bill) {
  const cols = ["job_id", "job_name", "attempt", "center", "resources", "state", "started_at", "ended_at", "wall_seconds", "price_per_hour", "cost", "billed"];
  const quote = (v) => {
    const t = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
  };
  return [cols.join(","), ...bill.lines.map((l) => cols.map((c) => quote(l[c])).join(","))].join("\n") + "\n";
}

function download(bill) {
  const url = URL.createObjectURL(new Blob([csv(bill)], { type: "text/csv" }));
  const a = h("a", { href: url, download: `c2net-bill-${day(Date.now() / 1000)}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function lineRow(l, currency) {
  return h("tr", { dataset: { job: l.job_id, attempt: l.attempt } },
    h("td", { class: "num" }, h("a", { href: `#/jobs/${l.job_id}` }, String(l.job_id))),
    h("td", {}, l.job_name),
    h("td", { class: "num" }, String(l.attempt)),
    h("td", {}, l.center),
    h("td", {}, l.resources),
    h("td", {}, h("span", { class: stateClass(l.state) }, l.state)),
    h("td", {}, when(l.started_at)),
    h("td", { class: "num" }, duration(l.wall_seconds)),
    h("td", { class: "num" }, price(l.price_per_hour, currency)),
    h("td", { class: "num", dataset: { field: "cost" } }, l.billed ? money(l.cost, currency) : h("span", { class: "muted", title: "lost attempts are not billed" }, "not billed")),
  );
}

function balanceTiles(b) {
  const cur = b.currency;
  const owed = b.kind === "provider";
  return [
    h("div", { class: "tile" },
      h("h3", {}, owed ? "Owed to you" : "Balance"),
      h("p", { class: "big", id: "balance", dataset: { value: b.balance } }, exact(b.balance, cur)),
      h("p", { class: "muted small" }, h("span", { id: "currency" }, `${cur} (${symbol(cur).trim()})`), ` · account ${b.account}`)),
    h("div", { class: "tile" },
      h("h3", {}, "Credit limit"),
      h("p", { class: "big", id: "credit-limit", dataset: { value: b.credit_limit } }, exact(b.credit_limit, cur)),
      h("p", { class: "muted small" }, "how far below zero it may go")),
    h("div", { class: "tile" },
      h("h3", {}, "Available"),
      h("p", { class: "big", id: "available" }, exact(b.available, cur)),
      h("p", { class: b.held ? "small bad" : "muted small" }, b.held || "balance + credit")),
    h("div", { class: "tile" },
      h("h3", {}, "Spending now"),
      h("p", { class: "big" }, `${price(Number(b.burn_per_hour), cur)}/h`),
      h("p", { class: "muted small" }, `alert below ${exact(b.alert_threshold, cur)}`)),
  ];
}

function centersTable(bill, centers) {
  const rows = [...new Set([...Object.keys(bill.by_center), ...centers.map((c) => c.name)])].map((name) => {
    const c = centers.find((x) => x.name === name);
    const amount = bill.by_center[name] || 0;
    return h("tr", { dataset: { center: name } },
      h("th", { scope: "row" }, name),
      h("td", {}, c ? h("span", { class: `badge ${c.role === "west" ? "west" : "east"}` }, c.role) : "–"),
      h("td", { class: "num", dataset: { field: "amount" } }, money(amount, bill.currency)),
      h("td", { class: "num" }, pct(amount, bill.total)),
      h("td", { class: "num" }, c ? pct(c.used.cpus, c.capacity.cpus) : "–"),
      h("td", { class: "num" }, c ? pct(accTotal(c.used.accelerators), accTotal(c.capacity.accelerators)) : "–"),
      h("td", { class: "num" }, c ? String(c.running_jobs) : "–"),
    );
  });
  return table({
    caption: "Billed amount and utilization per center",
    cls: "centers-money",
    head: ["Center", "Side", { text: "Billed", cls: "num" }, { text: "Share", cls: "num" }, { text: "CPU use", cls: "num" }, { text: "Accel. use", cls: "num" }, { text: "Running", cls: "num" }],
    rows,
  });
}

export const moneyView = {
  title: () => "Money",
  mount(root) {
    const st = { balance: h("div", { class: "tiles", "aria-label": "Balance" }), alert: h("div"), tiles: h("div", { class: "tiles" }), days: h("div"), centers: h("div"), sides: h("div"), table: h("div"), lines: h("div"), bill: null, fair: fairnessPanel() };
    fill(root,
      h("div", { class: "page-head" },
        h("h1", {}, "Money"),
        h("p", { class: "muted" }, "Metered per second at the price fixed when each attempt was placed. Attempts the network lost are never billed. What you see is what the API shows your token: your spend, your centers' revenue, or the whole network."),
      ),
      st.balance, st.alert, st.tiles,
      h("div", { class: "split" },
        h("section", { class: "panel", "aria-labelledby": "days-h" }, h("h2", { id: "days-h" }, "By day (last 14 days)"), st.days),
        h("section", { class: "panel", "aria-labelledby": "bycenter-h" }, h("h2", { id: "bycenter-h" }, "By center"), st.centers, h("h3", { class: "sub" }, "East and west"), st.sides),
      ),
      h("section", { class: "panel", "aria-labelledby": "ops-h" }, h("h2", { id: "ops-h" }, "Centers: revenue and utilization"), st.table),
      st.fair.el,
      h("section", { class: "panel", "aria-labelledby": "lines-h" },
        h("div", { class: "panel-head" },
          h("h2", { id: "lines-h" }, "Bill lines"),
          h("button", { type: "button", onclick: () => st.bill && download(st.bill) }, "Download CSV")),
        st.lines),
    );
    return st;
  },
  async refresh(st, ctx) {
    const [balance, billRead] = await Promise.allSettled([api("v1/balance"), api("v1/bill"), st.fair.refresh()]);
    fill(st.balance, balance.status === "fulfilled" ? balanceTiles(balance.value) : null);
    if (billRead.status === "rejected") {
      const err = billRead.reason;
      fill(st.alert, alertBox(err.explain ? err.explain() : String(err)));
      return;
    }
    const bill = billRead.value;
    st.bill = bill;
    fill(st.alert);
    const cur = bill.currency;
    const now = new Date();
    const monthStart = new Date(now.getFullYear(), now.getMonth(), 1).getTime() / 1000;
    const month = bill.lines.filter((l) => (l.started_at ?? 0) >= monthStart).reduce((a, l) => a + l.cost, 0);
    const billed = bill.lines.filter((l) => l.billed);
    fill(st.tiles,
      h("div", { class: "tile" }, h("h3", {}, "Total"), h("p", { class: "big", id: "bill-total", dataset: { value: bill.total } }, money(bill.total, cur)), h("p", { class: "muted small" }, `${billed.length} billed attempt${billed.length === 1 ? "" : "s"}`)),
      h("div", { class: "tile" }, h("h3", {}, "This month"), h("p", { class: "big" }, money(month, cur))),
      h("div", { class: "tile" }, h("h3", {}, "Billed wall time"), h("p", { class: "big" }, duration(bill.wall_seconds))),
      h("div", { class: "tile" }, h("h3", {}, "Not billed"), h("p", { class: "big" }, String(bill.lines.length - billed.length)), h("p", { class: "muted small" }, "attempts lost by the network")),
    );
    fill(st.days, columnChart({ items: byDay(bill.lines), label: "Billed amount per day over the last 14 days", format: (v) => (v ? money(v, cur, v < 0.01 ? 6 : 2) : "") }));
    const role = new Map(ctx.centers.map((c) => [c.name, c.role]));
    const entries = Object.entries(bill.by_center).sort((a, b) => b[1] - a[1]);
    fill(st.centers, entries.length
      ? bars({ label: "Billed amount by center", format: (v) => money(v, cur), items: entries.map(([name, v]) => ({ label: name, value: v, cls: role.get(name) === "west" ? "west" : "east" })) })
      : h("p", { class: "muted" }, "Nothing billed yet."));
    const side = (w) => entries.filter(([n]) => (role.get(n) === "west") === w).reduce((a, [, v]) => a + v, 0);
    fill(st.sides, bars({ label: "Billed amount by side", format: (v) => `${money(v, cur)} · ${pct(v, bill.total)}`, items: [{ label: "East", value: side(false), cls: "east" }, { label: "West", value: side(true), cls: "west" }] }));
    fill(st.table, centersTable(bill, ctx.centers));
    fill(st.lines, table({
      caption: "Bill lines, one per attempt",
      cls: "lines",
      head: [{ text: "Job", cls: "num" }, "Name", { text: "Attempt", cls: "num" }, "Center", "Resources", "State", "Started", { text: "Wall", cls: "num" }, { text: "Price/h", cls: "num" }, { text: "Cost", cls: "num" }],
      rows: [...bill.lines].reverse().map((l) => lineRow(l, cur)),
      foot: h("tr", {}, h("th", { scope: "row", colspan: 9 }, "Total"), h("td", { class: "num", id: "bill-lines-total" }, money(bill.total, cur))),
      empty: "No usage yet.",
    }));
  },
};
