// Quote and submit: a form that builds a job spec, the ranked quote for it, and the submit.
import { api, newKey } from "../api.js";
import { alertBox, fill, h, table } from "../dom.js";
import { money, price } from "../format.js";

function field(id, label, input, help) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    input,
    help ? h("p", { class: "muted small", id: `${id}-help` }, help) : null,
  );
}

function input(id, attrs = {}) {
  return h("input", { id, name: id, ...attrs, "aria-describedby": attrs.help ? `${id}-help` : null });
}

function parseEnvs(text) {
  const envs = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const at = t.indexOf("=");
    if (at > 0) envs[t.slice(0, at).trim()] = t.slice(at + 1);
    else envs[t] = "";
  }
  return envs;
}

/** The spec the form describes, in the job file's format. */
export function buildSpec(form) {
  const v = (name) => form.elements[name].value.trim();
  const spec = { run: form.elements.run.value };
  if (v("name")) spec.name = v("name");
  const resources = {};
  if (v("cpus")) resources.cpus = Number(v("cpus"));
  if (v("memory")) resources.memory = Number(v("memory"));
  const acc = v("acc-type");
  if (acc) resources.accelerators = `${acc}:${Number(v("acc-count")) || 1}`;
  spec.resources = resources;
  if (v("runtime")) spec.runtime = Number(v("runtime"));
  if (v("max-price")) spec.max_price = Number(v("max-price"));
  const regions = [...form.querySelectorAll("input[name=region]:checked")].map((x) => x.value);
  if (regions.length) spec.regions = regions;
  if (v("setup")) spec.setup = form.elements.setup.value;
  const envs = parseEnvs(form.elements.envs.value);
  if (Object.keys(envs).length) spec.envs = envs;
  return spec;
}

export function offersTable(q, currency) {
  return table({
    caption: "Ranked offers, cheapest first",
    cls: "offers",
    head: [{ text: "#", cls: "num" }, "Center", "Side", { text: "Price/h", cls: "num" }, { text: `Est. cost (${q.runtime_hours} h)`, cls: "num" }, "Now"],
    rows: q.offers.map((o, i) => h("tr", { dataset: { center: o.center }, class: i === 0 && o.available_now ? "best" : "" },
      h("td", { class: "num" }, String(i + 1)),
      h("td", {}, o.center, h("br"), h("small", { class: "muted" }, o.hub)),
      h("td", {}, h("span", { class: `badge ${o.role === "west" ? "west" : "east"}` }, o.role)),
      h("td", { class: "num" }, price(o.price_per_hour, currency)),
      h("td", { class: "num" }, money(o.estimated_cost, currency, 4)),
      h("td", {}, o.available_now ? h("span", { class: "ok" }, "free") : h("span", { class: "warn" }, "busy")),
    )),
    empty: "No center can run this spec.",
  });
}

function excludedList(q) {
  if (!q.excluded.length) return null;
  return h("details", { class: "excluded" },
    h("summary", {}, `${q.excluded.length} center${q.excluded.length === 1 ? "" : "s"} cannot run it`),
    h("ul", {}, q.excluded.map((e) => h("li", {}, h("strong", {}, e.center), " ", h("code", {}, e.code), " ", e.detail))),
  );
}

function regionChoices(centers, checked) {
  const roles = [...new Set(centers.map((c) => c.role))].sort();
  const hubs = [...new Set(centers.map((c) => c.hub))].sort();
  const box = (value, label) => h("label", { class: "chip" },
    h("input", { type: "checkbox", name: "region", value, checked: checked.has(value) }), label);
  return [...roles.map((r) => box(r, `all ${r}`)), ...hubs.map((x) => box(x, x))];
}

export const submitView = {
  title: () => "Quote & submit",
  mount(root, ctx) {
    const st = { ctx, key: newKey(), timer: null, seq: 0, pools: "" };
    st.alert = h("div");
    st.quote = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Fill in the form; the quote follows as you type."));
    st.preview = h("pre", { class: "code", tabindex: "0", "aria-label": "Spec preview (JSON)" });
    st.regions = h("div", { class: "chips", role: "group", "aria-labelledby": "regions-label" });
    st.accList = h("datalist", { id: "acc-types" });
    st.form = h("form", { class: "panel form", id: "spec-form", "aria-labelledby": "form-h", novalidate: true },
      h("h2", { id: "form-h" }, "Job"),
      field("name", "Name", input("name", { value: "my-job", autocomplete: "off", pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}" })),
      field("run", "Command", h("textarea", { id: "run", name: "run", rows: 3, required: true, spellcheck: "false", "aria-describedby": "run-help" }, "echo hello from c2net; sleep 2; echo done"), "A shell command, run with bash in the job's own directory."),
      h("div", { class: "cols" },
        field("cpus", "CPUs", input("cpus", { type: "number", min: "0.1", step: "any", value: "1", inputmode: "decimal" })),
        field("memory", "Memory (GB)", input("memory", { type: "number", min: "0.1", step: "any", value: "1", inputmode: "decimal" })),
        field("acc-type", "Accelerator", input("acc-type", { list: "acc-types", placeholder: "none", autocomplete: "off" })),
        field("acc-count", "How many", input("acc-count", { type: "number", min: "1", step: "1", value: "1", inputmode: "numeric" })),
      ),
      st.accList,
      h("div", { class: "cols" },
        field("runtime", "Runtime estimate (h)", input("runtime", { type: "number", min: "0.001", step: "any", value: "1", inputmode: "decimal" })),
        field("max-price", "Max price per hour", input("max-price", { type: "number", min: "0", step: "any", placeholder: "no limit", inputmode: "decimal" })),
      ),
      h("div", { class: "field" }, h("span", { id: "regions-label", class: "label" }, "Where it may run (none ticked: anywhere)"), st.regions),
      h("details", {},
        h("summary", {}, "Setup and environment"),
        field("setup", "Setup command", h("textarea", { id: "setup", name: "setup", rows: 2, spellcheck: "false" })),
        field("envs", "Environment (NAME=value, one per line)", h("textarea", { id: "envs", name: "envs", rows: 2, spellcheck: "false" })),
      ),
      h("div", { class: "row" },
        h("button", { type: "button", id: "quote-btn", onclick: () => this.quote(st) }, "Get quote"),
        h("button", { type: "submit", class: "primary", id: "submit-btn" }, "Submit job"),
      ),
    );
    st.form.addEventListener("input", () => this.changed(st));
    st.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit(st);
    });
    fill(root,
      h("div", { class: "page-head" }, h("h1", {}, "Quote & submit"), h("p", { class: "muted" }, "Describe the work once; see what every center would charge; submit to the network, which places it on the cheapest center that fits.")),
      st.alert,
      h("div", { class: "split wide-left" },
        st.form,
        h("div", {},
          h("section", { class: "panel", "aria-labelledby": "quote-h" }, h("h2", { id: "quote-h" }, "Quote"), st.quote),
          h("section", { class: "panel", "aria-labelledby": "preview-h" }, h("h2", { id: "preview-h" }, "Spec"), st.preview),
        ),
      ),
    );
    this.options(st, ctx.centers);
    this.changed(st);
    return st;
  },
  unmount(st) {
    clearTimeout(st.timer);
  },
  refresh(st, ctx) {
    this.options(st, ctx.centers);
  },
  options(st, centers) {
    const sig = JSON.stringify(centers.map((c) => [c.role, c.hub, Object.keys(c.capacity.accelerators || {})]));
    if (sig === st.pools) return;
    st.pools = sig;
    const checked = new Set([...st.form.querySelectorAll("input[name=region]:checked")].map((x) => x.value));
    fill(st.regions, regionChoices(centers, checked));
    const types = [...new Set(centers.flatMap((c) => Object.keys(c.capacity.accelerators || {})))].sort();
    fill(st.accList, types.map((t) => h("option", { value: t })));
  },
  changed(st) {
    st.preview.textContent = JSON.stringify(buildSpec(st.form), null, 2);
    clearTimeout(st.timer);
    st.timer = setTimeout(() => this.quote(st), 400);
  },
  async quote(st) {
    clearTimeout(st.timer);
    const seq = ++st.seq;
    const currency = (st.ctx.centers[0] && st.ctx.centers[0].prices.currency) || "CNY";
    try {
      const q = await api("v1/quotes", { method: "POST", body: buildSpec(st.form) });
      if (seq !== st.seq) return; // a newer quote is on its way
      fill(st.alert);
      fill(st.quote,
        q.message ? h("p", { class: "alert warn" }, q.message) : null,
        offersTable(q, currency),
        excludedList(q),
      );
    } catch (err) {
      if (seq !== st.seq) return;
      fill(st.quote, alertBox(err.explain ? err.explain() : String(err)));
    }
  },
  async submit(st) {
    const button = st.form.querySelector("#submit-btn");
    button.disabled = true;
    try {
      const job = await api("v1/jobs", { method: "POST", body: buildSpec(st.form), headers: { "Idempotency-Key": st.key } });
      st.key = newKey();
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      fill(st.alert, alertBox(`Not submitted: ${err.explain ? err.explain() : String(err)}`));
      button.disabled = false;
    }
  },
};
