// Charts drawn as SVG by hand: a line chart over time, column and bar charts, meters.
import { h, s } from "./dom.js";
import { clock } from "./format.js";

/** A meter: used of capacity, with an accessible name and value. */
export function meter(label, used, capacity, cls = "") {
  const frac = capacity > 0 ? Math.min(used / capacity, 1) : 0;
  return h(
    "div",
    {
      class: `meter ${cls}`,
      role: "meter",
      "aria-label": label,
      "aria-valuemin": 0,
      "aria-valuemax": capacity,
      "aria-valuenow": used,
    },
    h("span", { style: `width:${(frac * 100).toFixed(1)}%` }),
  );
}

function tickLabel(t, newest, span) {
  if (span > 300) return clock(t).slice(0, 5);
  const back = newest - t;
  if (back < 0.05) return "now";
  return span < 10 ? `−${back.toFixed(1)} s` : `−${Math.round(back)} s`;
}

/**
 * Lines over time. series: [{name, cls, points: [[t, v]]}] with v in 0..1.
 * spanSeconds: how far back the x axis goes from the newest point.
 */
export function lineChart({ series, spanSeconds = 600, label, width = 560, height = 220 }) {
  const pad = { l: 38, r: 12, t: 12, b: 26 };
  const w = width - pad.l - pad.r;
  const hgt = height - pad.t - pad.b;
  const newest = Math.max(Date.now() / 1000, ...series.flatMap((x) => x.points.map((p) => p[0])));
  const oldest = newest - spanSeconds;
  const x = (t) => pad.l + ((t - oldest) / spanSeconds) * w;
  const y = (v) => pad.t + (1 - Math.max(0, Math.min(1, v))) * hgt;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart",
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "none",
  });
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(
      s("line", { x1: pad.l, x2: pad.l + w, y1: y(v), y2: y(v), class: "gridline" }),
      s("text", { x: pad.l - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, `${v * 100}%`),
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = oldest + (i * spanSeconds) / 4;
    svg.append(
      s("text", { x: x(t), y: height - 6, class: "tick", "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, tickLabel(t, newest, spanSeconds)),
    );
  }
  for (const line of series) {
    const pts = line.points.filter((p) => p[0] >= oldest);
    if (!pts.length) continue;
    const d = pts.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("");
    svg.append(s("path", { d, class: `series ${line.cls}`, fill: "none" }));
    const last = pts[pts.length - 1];
    svg.append(s("circle", { cx: x(last[0]), cy: y(last[1]), r: 3, class: `dot ${line.cls}` }));
  }
  return svg;
}

/** Columns, one per item: [{label, value, title}], values >= 0. */
export function columnChart({ items, label, format, width = 560, height = 180 }) {
  const pad = { l: 8, r: 8, t: 18, b: 26 };
  const w = width - pad.l - pad.r;
  const hgt = height - pad.t - pad.b;
  const max = Math.max(...items.map((i) => i.value), 0);
  const slot = items.length ? w / items.length : w;
  const bar = Math.min(slot * 0.7, 48);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
  svg.append(s("line", { x1: pad.l, x2: width - pad.r, y1: pad.t + hgt, y2: pad.t + hgt, class: "axis" }));
  items.forEach((item, i) => {
    const bh = max > 0 ? (item.value / max) * hgt : 0;
    const cx = pad.l + slot * i + slot / 2;
    svg.append(
      s("rect", { x: cx - bar / 2, y: pad.t + hgt - bh, width: bar, height: Math.max(bh, 1), rx: 3, class: "column" },
        s("title", {}, `${item.label}: ${format(item.value)}`)),
      s("text", { x: cx, y: height - 8, class: "tick", "text-anchor": "middle" }, item.short ?? item.label),
    );
    if (items.length <= 12 || item.value > 0) {
      svg.append(s("text", { x: cx, y: pad.t + hgt - bh - 5, class: "tick value", "text-anchor": "middle" }, format(item.value)));
    }
  });
  return svg;
}

/** Horizontal bars as HTML (they reflow on phones): [{label, value, cls, sub}]. */
export function bars({ items, format, label }) {
  const max = Math.max(...items.map((i) => i.value), 0);
  return h(
    "ul",
    { class: "bars", "aria-label": label },
    items.map((item) =>
      h(
        "li",
        { dataset: { label: item.label } },
        h("span", { class: "bar-label" }, item.label, item.sub ? h("small", { class: "muted" }, ` ${item.sub}`) : null),
        h("span", { class: "bar-track" }, h("span", { class: `bar-fill ${item.cls || ""}`, style: `width:${max > 0 ? ((100 * item.value) / max).toFixed(1) : 0}%` })),
        h("span", { class: "bar-value num" }, format(item.value)),
      ),
    ),
  );
}

/**
 * Two bars per item on one scale (0..max of every value), as HTML:
 * items [{label, values: [a, b]}], names ["share", "entitled"], classes for the two fills.
 */
export function pairedBars({ items, names, classes = ["", "west"], format, label }) {
  const max = Math.max(...items.flatMap((i) => i.values), 0);
  const width = (v) => `width:${max > 0 ? ((100 * v) / max).toFixed(1) : 0}%`;
  return h(
    "ul",
    { class: "bars paired", "aria-label": label },
    items.map((item) =>
      h(
        "li",
        { dataset: { label: item.label } },
        h("span", { class: "bar-label" }, item.label),
        h(
          "span",
          { class: "bar-pair" },
          item.values.map((v, k) =>
            h("span", { class: "bar-track", title: `${names[k]}: ${format(v)}` },
              h("span", { class: `bar-fill ${classes[k] || ""}`, style: width(v) })),
          ),
        ),
        h(
          "span",
          { class: "bar-value num" },
          item.values.map((v, k) => h("span", {}, `${names[k]} ${format(v)}`)),
        ),
      ),
    ),
  );
}
