// A tiny element builder. Text always goes through textContent: job names, commands and logs
// are user input and never become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "selected") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h("td", {class: "num"}, "12"). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  return append(el, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  return append(el, children);
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A table with a caption, header cells with scope, and a horizontal scroller for phones. */
export function table({ caption, head, rows, foot, cls = "", empty = "Nothing yet." }) {
  const t = h(
    "table",
    { class: `grid ${cls}` },
    caption ? h("caption", { class: "sr-only" }, caption) : null,
    h("thead", {}, h("tr", {}, head.map((c) => cellHead(c)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: head.length, class: "muted" }, empty))),
    foot ? h("tfoot", {}, foot) : null,
  );
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": caption || "table" }, t);
}

function cellHead(c) {
  if (typeof c === "string") return h("th", { scope: "col" }, c);
  return h("th", { scope: "col", class: c.cls || "" }, c.text);
}

/** An alert line (role=alert) or nothing. */
export function alertBox(message, kind = "error") {
  return message ? h("p", { class: `alert ${kind}`, role: "alert" }, message) : null;
}
