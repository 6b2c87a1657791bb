// Formatting numbers, money, times. Money keeps the ledger's precision (a millionth), so a bill
// can be checked line by line.

const SYMBOLS = { CNY: "¥", USD: "$", EUR: "€" };
const plain = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

export function num(x) {
  return Number.isFinite(x) ? plain.format(x) : "–";
}

export function pct(part, whole) {
  if (!whole) return "–";
  return `${Math.round((100 * part) / whole)}%`;
}

export function money(amount, currency = "CNY", places = 6) {
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  const f = new Intl.NumberFormat("en", {
    minimumFractionDigits: places,
    maximumFractionDigits: places,
  });
  return `${symbol}${f.format(amount)}`;
}

const unit = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** A unit price: at least two decimals, up to four for prices below a cent. */
export function price(amount, currency = "CNY") {
  return `${SYMBOLS[currency] ?? `${currency} `}${unit.format(amount)}`;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

export function day(ts) {
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function clock(ts) {
  const d = new Date(ts * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A timestamp: the time of day today, the date and time otherwise. */
export function when(ts) {
  if (ts === null || ts === undefined) return "–";
  const today = day(Date.now() / 1000) === day(ts);
  return today ? clock(ts) : `${day(ts)} ${clock(ts).slice(0, 5)}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  const h = Math.floor(seconds / 3600);
  return `${h} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function accelerators(map) {
  const parts = Object.entries(map || {}).map(([k, v]) => `${k}:${v}`);
  return parts.length ? parts.join(", ") : "none";
}

export function stateClass(state) {
  return `state state-${String(state || "").toLowerCase()}`;
}

export const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);

/** Seconds ago, from a number of seconds. */
export function ago(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  return seconds < 1 ? "just now" : `${duration(seconds)} ago`;
}
