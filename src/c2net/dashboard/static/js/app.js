// The dashboard shell: hash routes, sign-in, and one polling loop that refreshes the pool and
// the open view without reloading the page.
import { api, ApiError, setToken, token } from "./api.js";
import { fill, h } from "./dom.js";
import { clock } from "./format.js";
import { jobView } from "./views/job.js";
import { jobsView } from "./views/jobs.js";
import { moneyView } from "./views/money.js";
import { poolView } from "./views/pool.js";
import { submitView } from "./views/submit.js";

const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(Number(params.get("poll")) || 2000, 200);
const HISTORY_SECONDS = 15 * 60;

const ROUTES = [
  [/^#\/(pool)?$/, poolView, "pool"],
  [/^#\/jobs$/, jobsView, "jobs"],
  [/^#\/jobs\/(\d+)$/, jobView, "jobs"],
  [/^#\/submit$/, submitView, "submit"],
  [/^#\/money$/, moneyView, "money"],
];

// Shared between views: the pool as last read, and utilization samples since the page opened.
const ctx = { centers: [], centersError: null, history: [], poll: POLL_MS, refresh: () => tick() };

let current = null; // {view, state}
let timer = null;
let ticking = false;
let again = false; // a refresh was asked for while one ran: run another right after

function sample(centers) {
  // the listed nodes' capacity, as the gateway samples it: cloud regions (elastic) left out
  const sum = (f) => centers.filter((c) => !c.elastic).reduce((a, c) => a + f(c), 0);
  const accs = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);
  const point = {
    t: Date.now() / 1000,
    cpu: [sum((c) => c.used.cpus), sum((c) => c.capacity.cpus)],
    mem: [sum((c) => c.used.memory_gb), sum((c) => c.capacity.memory_gb)],
    acc: [sum((c) => accs(c.used.accelerators)), sum((c) => accs(c.capacity.accelerators))],
  };
  ctx.history.push(point);
  const oldest = point.t - HISTORY_SECONDS;
  while (ctx.history.length && ctx.history[0].t < oldest) ctx.history.shift();
}

function setLive(ok, message) {
  const live = document.getElementById("live");
  live.className = `live ${ok ? "ok" : "down"}`;
  live.textContent = message;
}

async function tick() {
  if (ticking) {
    again = true;
    return;
  }
  ticking = true;
  again = false;
  clearTimeout(timer);
  try {
    try {
      ctx.centers = await api("v1/centers");
      ctx.centersError = null;
      sample(ctx.centers);
      setLive(true, `live · updated ${clock(Date.now() / 1000)}`);
    } catch (err) {
      ctx.centersError = err;
      setLive(err.status !== 0, err.status === 0 ? "offline · retrying" : `live · ${err.explain()}`);
    }
    if (current && current.view.refresh) {
      try {
        await current.view.refresh(current.state, ctx);
      } catch (err) {
        console.warn("refresh failed", err);
      }
    }
  } finally {
    ticking = false;
    if (again) tick();
    else if (!document.hidden) timer = setTimeout(tick, POLL_MS);
  }
}

function route() {
  const hash = location.hash || "#/pool";
  if (!hash.startsWith("#/")) return; // an in-page anchor (the skip link), not a route
  const match = ROUTES.find(([re]) => re.test(hash)) || ROUTES[0];
  const [re, view, nav] = match;
  const args = hash.match(re) || [];
  if (current && current.view.unmount) current.view.unmount(current.state);
  const root = document.getElementById("view");
  fill(root);
  const state = view.mount(root, ctx, ...args.slice(1));
  current = { view, state };
  document.title = `${view.title(state)} · c2net`;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  tick();
}

async function showWho() {
  const label = document.getElementById("account-label");
  const who = document.getElementById("whoami");
  const secret = token();
  document.getElementById("signout").hidden = !secret;
  if (!secret) {
    label.textContent = "Sign in";
    fill(who);
    return;
  }
  label.textContent = "Signed in";
  try {
    const me = await api("v1/whoami");
    label.textContent = `${me.user} · ${me.role}`;
    fill(who, `Signed in as ${me.user} (${me.account}, ${me.role}).`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      fill(who, "Token saved; this gateway does not report identities.");
    } else {
      label.textContent = "Token refused";
      fill(who, h("span", { class: "bad" }, err.explain ? err.explain() : String(err)));
    }
  }
}

function setupSignIn() {
  const form = document.getElementById("signin");
  const input = document.getElementById("token");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    input.value = "";
    showWho();
    document.getElementById("account").open = false;
    route();
  });
  document.getElementById("signout").addEventListener("click", () => {
    setToken("");
    showWho();
    route();
  });
  showWho();
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) tick();
});
window.addEventListener("hashchange", route);
setupSignIn();
route();
