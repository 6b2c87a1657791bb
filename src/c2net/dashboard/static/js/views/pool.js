// Pool: the hubs on the map, utilization over time (the gateway's stored samples, then live),
// every center with capacity, use, health and prices, and how much of the work goes west.
import { api } from "../api.js";
import { bars, lineChart, meter } from "../charts.js";
import { alertBox, fill, h } from "../dom.js";
import { ago, num, pct, price } from "../format.js";
import { SPANS, StoredHistory } from "../history.js";
import { poolMap } from "../map.js";

const accTotal = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);

function tile(label, value, sub, extra) {
  return h("div", { class: "tile" }, h("h3", {}, label), h("p", { class: "big" }, value), sub ? h("p", { class: "muted small" }, sub) : null, extra);
}

function tiles(centers, active, bill) {
  // capacity is what the listed nodes hold: cloud regions (elastic) grow on demand, not counted
  const sum = (f) => centers.filter((c) => !c.elastic).reduce((a, c) => a + f(c), 0);
  const healthy = centers.filter((c) => c.health === "HEALTHY").length;
  const cpu = [sum((c) => c.used.cpus), sum((c) => c.capacity.cpus)];
  const acc = [sum((c) => accTotal(c.used.accelerators)), sum((c) => accTotal(c.capacity.accelerators))];
  const mem = [sum((c) => c.used.memory_gb), sum((c) => c.capacity.memory_gb)];
  const out = [
    tile("Centers", `${healthy} / ${centers.length}`, "healthy / registered"),
    tile("CPUs in use", `${num(cpu[0])} / ${num(cpu[1])}`, pct(cpu[0], cpu[1]), meter("CPUs in use, whole pool", cpu[0], cpu[1])),
    tile("Accelerators in use", `${num(acc[0])} / ${num(acc[1])}`, pct(acc[0], acc[1]), meter("Accelerators in use, whole pool", acc[0], acc[1], "acc")),
    tile("Memory in use", `${num(mem[0])} / ${num(mem[1])}`, `GB · ${pct(mem[0], mem[1])}`, meter("Memory in use, whole pool", mem[0], mem[1], "mem")),
  ];
  if (Array.isArray(active)) {
    const by = (st) => active.filter((j) => j.state === st).length;
    out.push(tile("Jobs", `${by("RUNNING") + by("ASSIGNED")} running`, `${by("PENDING")} pending`));
  }
  out.push(westTile(centers, bill));
  return out;
}

function westTile(centers, bill) {
  const role = new Map(centers.map((c) => [c.name, c.role]));
  const runningWest = centers.filter((c) => c.role === "west").reduce((a, c) => a + c.running_jobs, 0);
  const running = centers.reduce((a, c) => a + c.running_jobs, 0);
  if (!bill || !bill.lines) {
    return tile("Work at western hubs", pct(runningWest, running), `${runningWest} of ${running} running now`);
  }
  const lines = bill.lines.filter((l) => l.billed);
  const west = lines.filter((l) => role.get(l.center) === "west");
  const spendWest = west.reduce((a, l) => a + l.cost, 0);
  return tile(
    "Work at western hubs",
    lines.length ? pct(west.length, lines.length) : "–",
    `${west.length} of ${lines.length} attempts · ${pct(spendWest, bill.total)} of spend · ${runningWest} of ${running} running now`,
  );
}

/** The chart's time span: since the first point (at least three polls), at most `most`. */
function span(points, pollMs, most) {
  const first = points.length ? points[0].t : Date.now() / 1000;
  return Math.min(Math.max((3 * pollMs) / 1000, Date.now() / 1000 - first), most);
}

function utilChart(past, live, pollMs) {
  const points = past.points(live);
  const series = [
    ["CPUs", "cpu", (p) => p.cpu],
    ["Accelerators", "acc", (p) => p.acc],
    ["Memory", "mem", (p) => p.mem],
  ].map(([name, cls, f]) => ({
    name, cls,
    points: points.filter((p) => f(p)).map((p) => [p.t, f(p)[1] ? f(p)[0] / f(p)[1] : 0]),
  }));
  const latest = (x) => (x.points.length ? pct(x.points[x.points.length - 1][1], 1) : "–");
  const stored = past.stored;
  const spanName = (SPANS.find(([s]) => s === past.span) || [0, `${past.span} s`])[1];
  const label = `Pool utilization over the last ${spanName}: ${stored.length} samples stored by the gateway, then live; now ${series.map((x) => `${x.name} ${latest(x)}`).join(", ")}`;
  return h("div", { id: "util-chart", dataset: { stored: stored.length, first: stored.length ? stored[0].t : "" } },
    lineChart({ series, spanSeconds: span(points, pollMs, past.span), label }),
    h("ul", { class: "legend" }, series.map((x) => h("li", {}, h("span", { class: `swatch ${x.cls}` }), x.name, " ", h("strong", {}, latest(x))))),
    past.error ? h("p", { class: "muted small" }, `Stored history unavailable: ${past.error.explain ? past.error.explain() : past.error}`) : null,
  );
}

function spanPicker(st, ctx) {
  return h("select", {
    id: "util-span",
    "aria-label": "Utilization time span",
    onchange: (ev) => {
      st.past.setSpan(Number(ev.target.value));
      ctx.refresh();
    },
  }, SPANS.map(([seconds, name]) => h("option", { value: String(seconds), selected: seconds === st.past.span }, name)));
}

function usage(label, key, used, cap, unit = "") {
  return h("div", { class: "usage", dataset: { metric: key } },
    h("span", { class: "usage-label" }, label),
    h("span", { class: "usage-value num" }, `${num(used)} / ${num(cap)}${unit}`),
    meter(`${label} in use`, used, cap, key.startsWith("acc") ? "acc" : key === "memory" ? "mem" : ""),
  );
}

// A cloud region: what its running VMs hold, no capacity to fill
function held(label, key, used, unit = "") {
  return h("div", { class: "usage", dataset: { metric: key } },
    h("span", { class: "usage-label" }, label),
    h("span", { class: "usage-value num" }, `${num(used)}${unit} in use`),
  );
}

const VM_PRICES_SHOWN = 5;

// The pools rented per whole node (a cloud's instance types: they carry a price)
const rentedPools = (c) => c.pools.filter((p) => p.price !== undefined && p.price !== null);

// Whole-VM prices, cheapest first
function vmPrices(c, cur) {
  const rented = rentedPools(c).sort((a, b) => a.price - b.price);
  const more = rented.length - VM_PRICES_SHOWN;
  return [
    rented.slice(0, VM_PRICES_SHOWN).map((p) => h("div", { dataset: { price: `node:${p.name}` } }, h("dt", {}, p.name), h("dd", {}, `${price(p.price, cur)}/h`))),
    more > 0 ? h("div", { class: "muted small", dataset: { price: "more" } }, h("dt", {}, "and"), h("dd", {}, `${more} more instance types`)) : null,
  ];
}

function card(c) {
  const cur = c.prices.currency || "CNY";
  const healthy = c.health === "HEALTHY";
  const accTypes = Object.keys(c.capacity.accelerators || {}).sort();
  const rented = rentedPools(c).length > 0;
  return h("article", { class: `center ${c.role === "west" ? "west" : "east"}`, dataset: { center: c.name }, "aria-labelledby": `c-${c.name}` },
    h("header", {},
      h("h3", { id: `c-${c.name}` }, c.name),
      h("span", { class: `badge ${c.role === "west" ? "west" : "east"}` }, c.role),
      h("span", { class: `health ${healthy ? "ok" : "bad"}`, dataset: { field: "health" } }, healthy ? "healthy" : "unhealthy"),
    ),
    h("p", { class: "muted small" }, `${c.hub} · ${c.region} · ${c.backend}${c.emulated ? " (emulated accelerators)" : ""} · ${c.elastic ? "nodes on demand" : `${c.nodes} nodes`} · heartbeat ${ago(c.seconds_since_heartbeat)}`),
    c.elastic
      ? [
          held("CPUs", "cpus", c.used.cpus),
          held("Memory", "memory", c.used.memory_gb, " GB"),
          Object.entries(c.used.accelerators || {}).map(([t, n]) => held(t, `acc-${t}`, n)),
        ]
      : [
          usage("CPUs", "cpus", c.used.cpus, c.capacity.cpus),
          usage("Memory", "memory", c.used.memory_gb, c.capacity.memory_gb, " GB"),
          accTypes.map((t) => usage(t, `acc-${t}`, (c.used.accelerators || {})[t] || 0, c.capacity.accelerators[t])),
        ],
    h("p", { class: "small", dataset: { field: "running" } }, h("strong", {}, String(c.running_jobs)), " running"),
    h("dl", { class: "prices", "aria-label": `${c.name} prices per hour${rented ? " per whole VM" : ""}` },
      rented
        ? vmPrices(c, cur)
        : [
            h("div", { dataset: { price: "cpu" } }, h("dt", {}, "CPU"), h("dd", {}, `${price(c.prices.cpu_hour, cur)}/h`)),
            h("div", { dataset: { price: "memory" } }, h("dt", {}, "GB RAM"), h("dd", {}, `${price(c.prices.memory_gb_hour, cur)}/h`)),
            Object.entries(c.prices.accelerator_hour || {}).map(([t, p]) => h("div", { dataset: { price: t } }, h("dt", {}, t), h("dd", {}, `${price(p, cur)}/h`))),
          ],
    ),
  );
}

export const poolView = {
  title: () => "Pool",
  mount(root, ctx) {
    const st = {
      alert: h("div"),
      tiles: h("div", { class: "tiles", "aria-label": "Pool summary" }),
      map: h("div", { class: "map-wrap" }),
      chart: h("div"),
      roleBars: h("div"),
      cards: h("div", { class: "cards" }),
      past: new StoredHistory(3600), // read from the gateway when the page opens
    };
    fill(root,
      h("div", { class: "page-head" }, h("h1", {}, "The pool"), h("p", { class: "muted" }, "Every center in the network, live. East hubs sit near demand; west hubs have cheap, green power.")),
      st.alert,
      st.tiles,
      h("div", { class: "split" },
        h("section", { class: "panel", "aria-labelledby": "map-h" }, h("h2", { id: "map-h" }, "Hubs"), st.map),
        h("section", { class: "panel", "aria-labelledby": "util-h" },
          h("div", { class: "util-head" }, h("h2", { id: "util-h" }, "Utilization"), spanPicker(st, ctx)),
          h("p", { class: "muted small" }, "Share of the pool's capacity held by jobs: CPUs, memory and accelerators as the gateway samples them, then live."),
          st.chart,
          h("h3", { class: "sub" }, "East and west"),
          st.roleBars),
      ),
      h("section", { "aria-labelledby": "centers-h" }, h("h2", { id: "centers-h" }, "Centers"), st.cards),
    );
    this.render(st, ctx, null, null);
    return st;
  },
  async refresh(st, ctx) {
    const [active, bill] = await Promise.allSettled([
      api("v1/jobs?state=PENDING,ASSIGNED,RUNNING&limit=1000"),
      api("v1/bill"),
      st.past.update(),
    ]);
    this.render(st, ctx, active.status === "fulfilled" ? active.value : null, bill.status === "fulfilled" ? bill.value : null);
  },
  render(st, ctx, active, bill) {
    const centers = ctx.centers;
    fill(st.alert, alertBox(ctx.centersError ? ctx.centersError.explain() : ""));
    if (!centers.length) {
      fill(st.tiles);
      fill(st.cards, h("p", { class: "panel muted" }, ctx.centersError ? "" : "No center has registered yet. Start an agent: c2net agent --gateway URL --center FILE."));
      fill(st.map);
      fill(st.chart, utilChart(st.past, ctx.history, ctx.poll));
      return;
    }
    fill(st.tiles, tiles(centers, active, bill));
    const { svg, unplaced } = poolMap(centers);
    fill(st.map, svg,
      h("ul", { class: "legend" },
        h("li", {}, h("span", { class: "swatch east" }), "east hub"),
        h("li", {}, h("span", { class: "swatch west" }), "west hub"),
        h("li", {}, h("span", { class: "swatch ring" }), "ring: share busy"),
        h("li", {}, "size: CPUs")),
      unplaced.length ? h("p", { class: "muted small" }, `Not on the map: ${unplaced.map((c) => c.name).join(", ")}`) : null,
    );
    fill(st.chart, utilChart(st.past, ctx.history, ctx.poll));
    const byRole = (role, f) => centers.filter((c) => (c.role === "west") === (role === "west")).reduce((a, c) => a + f(c), 0);
    fill(st.roleBars, bars({
      label: "CPUs in use by side",
      format: (v) => num(v),
      items: ["east", "west"].map((r) => ({
        label: r === "west" ? "West" : "East",
        value: byRole(r, (c) => c.used.cpus),
        sub: `of ${num(byRole(r, (c) => c.capacity.cpus))} CPUs · ${num(byRole(r, (c) => accTotal(c.used.accelerators)))} of ${num(byRole(r, (c) => accTotal(c.capacity.accelerators)))} accelerators`,
        cls: r === "west" ? "west" : "east",
      })),
    }));
    fill(st.cards, centers.map(card));
  },
};
