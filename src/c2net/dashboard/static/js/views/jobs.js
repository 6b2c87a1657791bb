// Jobs: the caller's jobs with state, center, cost so far and why a pending job waits.
import { api } from "../api.js";
import { alertBox, fill, h, table } from "../dom.js";
import { duration, money, stateClass, when } from "../format.js";

const FILTERS = [
  ["", "All"],
  ["PENDING,ASSIGNED,RUNNING", "Active"],
  ["PENDING", "Pending"],
  ["RUNNING", "Running"],
  ["SUCCEEDED", "Succeeded"],
  ["FAILED,LOST", "Failed or lost"],
  ["CANCELLED", "Cancelled"],
];

function row(j) {
  return h("tr", { dataset: { job: j.id, state: j.state } },
    h("td", { class: "num" }, h("a", { href: `#/jobs/${j.id}`, "aria-label": `Job ${j.id} (${j.name})` }, String(j.id))),
    h("td", {}, j.name),
    h("td", {}, h("span", { class: stateClass(j.state), dataset: { field: "state" } }, j.state)),
    h("td", {}, j.center || "–"),
    h("td", { class: "num", dataset: { field: "cost" } }, money(j.cost, j.currency)),
    h("td", { class: "num" }, duration(j.wall_seconds)),
    h("td", {}, when(j.submitted_at)),
    h("td", { class: "reason" }, j.reason),
  );
}

export const jobsView = {
  title: () => "Jobs",
  mount(root) {
    const st = { filter: sessionStorage.getItem("c2net.jobs.filter") || "", alert: h("div"), list: h("div"), count: h("p", { class: "muted small", "aria-live": "polite" }) };
    const select = h("select", {
      id: "job-filter",
      onchange: (ev) => {
        st.filter = ev.target.value;
        sessionStorage.setItem("c2net.jobs.filter", st.filter);
        this.refresh(st);
      },
    }, FILTERS.map(([v, label]) => h("option", { value: v, selected: v === st.filter }, label)));
    fill(root,
      h("div", { class: "page-head" },
        h("h1", {}, "Jobs"),
        h("p", { class: "muted" }, "Newest first. A pending job says why it waits; open a job for its attempts, placement and log."),
      ),
      h("div", { class: "toolbar" },
        h("label", { for: "job-filter" }, "Show"), select,
        h("a", { class: "button primary", href: "#/submit" }, "New job"),
      ),
      st.alert, st.count,
      h("section", { class: "panel flush", "aria-label": "Jobs" }, st.list),
    );
    return st;
  },
  async refresh(st) {
    const q = st.filter ? `&state=${encodeURIComponent(st.filter)}` : "";
    try {
      const jobs = await api(`v1/jobs?limit=200${q}`);
      fill(st.alert);
      fill(st.count, `${jobs.length} job${jobs.length === 1 ? "" : "s"}${jobs.length === 200 ? " (the newest 200)" : ""}`);
      fill(st.list, table({
        caption: "Jobs",
        cls: "jobs",
        head: [{ text: "ID", cls: "num" }, "Name", "State", "Center", { text: "Cost so far", cls: "num" }, { text: "Wall", cls: "num" }, "Submitted", "Reason"],
        rows: jobs.map(row),
        empty: "No jobs. Submit one from Quote & submit.",
      }));
    } catch (err) {
      fill(st.alert, alertBox(err.explain ? err.explain() : String(err)));
    }
  },
};
