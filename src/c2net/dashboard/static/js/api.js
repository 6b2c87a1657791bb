// The REST API, with the signed-in token on every call. Paths are relative ("v1/..."), so the
// dashboard also works behind a reverse proxy that serves the gateway under a prefix.

const TOKEN_KEY = "c2net.token";

export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }

  /** A sentence for the page: what went wrong and what to do. */
  explain() {
    if (this.status === 0) return `Cannot reach the gateway (${this.message}). Retrying.`;
    if (this.status === 401) return `Sign in: ${this.message}`;
    if (this.status === 403) return `Your token may not see this: ${this.message}`;
    return this.message;
  }
}

export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  const secret = token();
  if (secret) sent.Authorization = `Bearer ${secret}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, String(err && err.message ? err.message : err));
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!resp.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : text;
    throw new ApiError(resp.status, typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return data;
}

/** A key for Idempotency-Key: the same submit sent twice makes one job. */
export function newKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
