// A schematic map of China: an approximate outline (a few dozen points, not a survey) and the
// national computing hubs of "East Data, West Computing" at their approximate positions.
import { s } from "./dom.js";
import { pct } from "./format.js";

// [longitude, latitude] around the border, clockwise from the far west; simplified.
const OUTLINE = [
  [73.5, 39.5], [75.0, 40.6], [76.8, 41.0], [78.4, 41.4], [80.2, 42.1], [80.8, 43.2],
  [80.4, 44.9], [82.5, 45.2], [83.0, 47.2], [85.3, 47.0], [85.7, 48.4], [87.0, 49.1],
  [88.5, 48.4], [90.0, 47.9], [90.9, 46.3], [90.6, 45.3], [93.0, 45.0], [95.3, 44.3],
  [96.4, 42.7], [99.5, 42.6], [101.8, 42.5], [103.9, 41.9], [105.0, 41.6], [107.3, 42.4],
  [109.5, 42.5], [111.9, 43.7], [111.2, 44.6], [113.6, 44.9], [116.0, 45.7], [117.5, 46.6],
  [119.9, 46.8], [117.8, 47.8], [116.0, 47.8], [117.4, 49.6], [119.5, 50.3], [120.3, 51.8],
  [121.8, 53.2], [123.5, 53.5], [125.5, 52.9], [126.6, 51.8], [127.3, 50.0], [129.6, 49.3],
  [130.7, 48.5], [132.6, 47.7], [134.7, 48.3], [134.2, 47.2], [133.7, 45.9], [133.1, 45.1],
  [131.9, 45.3], [131.1, 44.7], [131.3, 43.4], [130.4, 42.6], [129.4, 42.4], [128.1, 42.0],
  [126.8, 41.7], [125.0, 40.4], [124.3, 39.9], [121.2, 38.8], [122.2, 40.6], [121.1, 40.8],
  [120.0, 40.2], [119.6, 39.9], [117.8, 39.0], [118.0, 38.3], [119.0, 37.7], [119.8, 37.2],
  [120.7, 37.8], [122.2, 37.5], [122.6, 37.4], [121.5, 36.8], [120.4, 36.0], [119.3, 35.0],
  [119.5, 34.6], [120.3, 33.4], [120.9, 32.6], [121.9, 31.7], [121.9, 30.9], [122.0, 29.8],
  [121.6, 28.7], [120.9, 27.9], [120.2, 26.6], [119.6, 25.9], [119.0, 25.2], [118.1, 24.4],
  [117.2, 23.6], [116.6, 23.2], [115.4, 22.7], [114.2, 22.2], [113.5, 22.1], [112.5, 21.8],
  [111.6, 21.5], [110.4, 21.2], [110.1, 20.3], [109.7, 21.0], [109.1, 21.5], [108.0, 21.5],
  [106.7, 22.0], [106.5, 22.9], [105.3, 23.3], [104.4, 22.8], [103.0, 22.5], [102.1, 22.4],
  [101.6, 21.2], [100.1, 21.6], [99.2, 22.1], [99.5, 22.9], [98.7, 23.9], [97.6, 23.9],
  [98.5, 25.6], [98.7, 27.5], [97.6, 28.4], [96.0, 27.4], [93.8, 26.9], [92.0, 26.9],
  [91.6, 27.8], [89.8, 28.2], [88.8, 28.0], [88.1, 27.9], [86.0, 27.9], [84.5, 28.4],
  [82.0, 29.9], [81.0, 30.2], [79.0, 31.2], [78.7, 32.4], [78.3, 33.8], [78.0, 35.5],
  [76.0, 35.9], [74.6, 37.1], [74.8, 37.9], [73.8, 38.6],
];
const HAINAN = [[108.7, 19.4], [109.6, 18.2], [110.5, 18.4], [111.0, 19.6], [110.6, 20.1], [109.6, 20.0]];
const TAIWAN = [[121.0, 25.0], [121.9, 25.1], [121.5, 23.6], [120.9, 22.0], [120.2, 22.9], [120.1, 23.7]];

// Approximate positions of hubs, clusters and cloud regions (longitude, latitude).
const PLACES = {
  "beijing-tianjin-hebei": [114.9, 40.8], zhangjiakou: [114.9, 40.8], "cn-zhangjiakou": [114.9, 40.8],
  "cn-beijing": [116.4, 39.9],
  "yangtze-river-delta": [121.1, 31.15], "cn-shanghai": [121.1, 31.15], "cn-hangzhou": [120.2, 30.3],
  wuhu: [118.4, 31.3], "yrd-eco-green-zone": [121.1, 31.15],
  "guangdong-hongkong-macao": [113.6, 24.8], shaoguan: [113.6, 24.8], "cn-shenzhen": [114.1, 22.6],
  "cn-guangzhou": [113.3, 23.1],
  "chengdu-chongqing": [104.1, 30.4], tianfu: [104.1, 30.4], "cn-chengdu": [104.1, 30.6],
  chongqing: [106.5, 29.6],
  "inner-mongolia": [111.7, 40.3], horinger: [111.7, 40.3], "cn-wulanchabu": [113.1, 41.0],
  "cn-huhehaote": [111.7, 40.8],
  guizhou: [106.4, 26.4], guian: [106.4, 26.4], "cn-guizhou": [106.7, 26.6],
  gansu: [107.6, 35.7], qingyang: [107.6, 35.7], "cn-gansu": [103.8, 36.1],
  ningxia: [105.2, 37.5], zhongwei: [105.2, 37.5], "cn-ningxia": [106.2, 38.5],
};

// Which side of its marker a hub's label goes, where the default would collide.
const LABEL_SIDE = {
  "inner-mongolia": "left", "beijing-tianjin-hebei": "right", ningxia: "left", gansu: "right",
  "chengdu-chongqing": "left", guizhou: "left", "guangdong-hongkong-macao": "right",
  "yangtze-river-delta": "right",
};

const W = 520;
const H = 380;
const LON0 = 72.5;
const LAT0 = 54.5;
const K = 10; // SVG units per degree of latitude
const COS = Math.cos((36 * Math.PI) / 180); // shrink longitude at the map's middle latitude

function project([lon, lat]) {
  return [(lon - LON0) * K * COS + 8, (LAT0 - lat) * K];
}

function path(points) {
  return points.map((p, i) => `${i ? "L" : "M"}${project(p).map((v) => v.toFixed(1)).join(",")}`).join("") + "Z";
}

/** Where a center goes on the map, or null when none of its names is known. */
export function place(center) {
  for (const key of [center.hub, center.name, center.region]) {
    const found = PLACES[String(key || "").toLowerCase()];
    if (found) return project(found);
  }
  return null;
}

function utilization(c) {
  if (c.elastic) return 0; // a cloud region grows with its work: never busy
  const accCap = Object.values(c.capacity.accelerators || {}).reduce((a, b) => a + b, 0);
  const accUsed = Object.values(c.used.accelerators || {}).reduce((a, b) => a + b, 0);
  const cpu = c.capacity.cpus > 0 ? c.used.cpus / c.capacity.cpus : 0;
  const acc = accCap > 0 ? accUsed / accCap : 0;
  return Math.max(cpu, acc);
}

function ring(cx, cy, r, frac, cls) {
  const circ = 2 * Math.PI * r;
  return s("circle", {
    cx, cy, r, class: cls, fill: "none",
    "stroke-dasharray": `${(circ * frac).toFixed(2)} ${circ.toFixed(2)}`,
    transform: `rotate(-90 ${cx} ${cy})`,
  });
}

/** The map with one marker per center it can place; returns {svg, unplaced}. */
export function poolMap(centers) {
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "map",
    role: "img",
    "aria-labelledby": "map-title",
  });
  const placed = centers.map((c) => [c, place(c)]).filter(([, p]) => p);
  const east = placed.filter(([c]) => c.role !== "west").length;
  svg.append(
    s("title", { id: "map-title" }, `Schematic map of China with ${placed.length} centers: ${east} east, ${placed.length - east} west`),
    s("path", { d: path(OUTLINE), class: "land" }),
    s("path", { d: path(HAINAN), class: "land" }),
    s("path", { d: path(TAIWAN), class: "land" }),
  );
  const [wx, wy] = project([76.5, 44.5]);
  const [ex, ey] = project([131.5, 27.5]);
  svg.append(
    s("text", { x: wx, y: wy, class: "region-label west" }, "WEST"),
    s("text", { x: wx, y: wy + 14, class: "region-note" }, "cheap, green power"),
    s("text", { x: ex, y: ey, class: "region-label east", "text-anchor": "end" }, "EAST"),
    s("text", { x: ex, y: ey + 14, class: "region-note", "text-anchor": "end" }, "near demand"),
  );
  const seen = new Map();
  const maxCpu = Math.max(...placed.map(([c]) => c.capacity.cpus), 1);
  for (const [c, [x0, y0]] of placed) {
    const key = `${x0.toFixed(0)},${y0.toFixed(0)}`;
    const n = seen.get(key) || 0;
    seen.set(key, n + 1);
    const x = x0 + (n ? 16 * Math.cos(n * 2.1) : 0);
    const y = y0 + (n ? 16 * Math.sin(n * 2.1) : 0);
    const r = 6 + 7 * Math.sqrt(c.capacity.cpus / maxCpu);
    const util = utilization(c);
    const healthy = c.health === "HEALTHY";
    const side = LABEL_SIDE[c.hub] || LABEL_SIDE[c.name];
    const left = side ? side === "left" : x < W * 0.5;
    const g = s("g", {
      class: `hub ${c.role === "west" ? "west" : "east"} ${healthy ? "" : "down"}`,
      dataset: { center: c.name },
    },
      s("title", {}, `${c.name} · ${c.hub} (${c.role}) · ${healthy ? "healthy" : "unhealthy"} · busy ${pct(util, 1)} · ${c.running_jobs} running`),
      s("circle", { cx: x, cy: y, r: r + 4, class: "halo" }),
      s("circle", { cx: x, cy: y, r, class: "dot" }),
      ring(x, y, r + 4, util, "busy"),
      healthy ? null : s("path", { d: `M${x - 4},${y - 4}L${x + 4},${y + 4}M${x + 4},${y - 4}L${x - 4},${y + 4}`, class: "cross" }),
      s("text", { x: left ? x - r - 7 : x + r + 7, y: y + 4, class: "hub-label", "text-anchor": left ? "end" : "start" }, c.name),
    );
    svg.append(g);
  }
  return { svg, unplaced: centers.filter((c) => !place(c)) };
}
