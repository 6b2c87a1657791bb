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

/** The sign in front of an amount: ¥ for CNY, or the code and a space. */
export function symbol(currency = "CNY") {
  return SYMBOLS[currency] ?? `${currency} `;
}

export function money(amount, currency = "CNY", places = 6) {
  const f = new Intl.NumberFormat("en", {
    minimumFractionDigits: places,
    maximumFractionDigits: places,
  });
  return `${symbol(currency)}${f.format(amount)}`;
}

/**
 * An exact amount as the API sends it (a decimal string such as "-1234.5"), with thousands
 * separators and six places, without a trip through floating point.
 */
export function exact(text, currency = "CNY", places = 6) {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(String(text ?? "").trim());
  if (!m || (m[3] || "").length > places) return money(Number(text), currency, places);
  const [, sign, whole, frac = ""] = m;
  const grouped = whole.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${symbol(currency)}${sign}${grouped}.${frac.padEnd(places, "0")}`;
}

/** A fraction as a percentage with one decimal: 0.0625 -> "6.3%". */
export function share(x) {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "–";
}

const unit = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** A unit price: at least two decimals, up to four for prices below a cent. */
export function price(amount, currency = "CNY") {
  return `${symbol(currency)}${unit.format(amount)}`;
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
