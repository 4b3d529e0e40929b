// Settings, read-only: the effective configuration (secrets masked) and where each value came
// from: the default, a line of the config file, or an environment variable.
"use strict";

import { api } from "/static/api.js";
import { $, field, h } from "/static/ui.js";

export const title = () => "Settings";

export async function draw() {
  let data;
  try { data = await api("GET", "/settings"); } catch (err) { return [h("h1", {}, "Settings"), h("p", { class: "error" }, err.message)]; }
  const rows = data.items.map((s) => h("tr", { dataset: { key: s.key, origin: s.origin === "default" ? "default" : "set" } },
    h("th", { scope: "row" }, h("code", {}, s.key)),
    h("td", {}, show(s.value)),
    // The file is named above: each row says "config file, line N".
    h("td", { class: "muted" }, data.source && s.origin.startsWith(data.source) ? `config file${s.origin.slice(data.source.length)}` : s.origin)));
  const filter = h("input", { type: "search", id: "settings-q", oninput: () => {
    const q = $("settings-q").value.toLowerCase();
    for (const tr of document.querySelectorAll("#settings tbody tr")) tr.hidden = q && !tr.dataset.key.toLowerCase().includes(q);
  } });
  const changed = h("input", { type: "checkbox", id: "settings-changed", onchange: () => {
    for (const tr of document.querySelectorAll("#settings tbody tr")) tr.classList.toggle("quiet", $("settings-changed").checked && tr.dataset.origin === "default");
  } });
  return [
    h("h1", {}, "Settings"),
    h("p", {}, data.source ? ["Read from ", h("code", {}, data.source), ". "] : "No config file: defaults and environment variables. ",
      "Change them in the file (or the environment) and restart the daemon; secrets are masked."),
    h("div", { class: "row" }, field("Find a key", filter), h("label", { class: "check" }, changed, " only what is not a default")),
    h("div", { class: "scroll" }, h("table", { id: "settings" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "key"), h("th", { scope: "col" }, "value"), h("th", { scope: "col" }, "from"))),
      h("tbody", {}, rows))),
  ];
}

function show(value) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "(not set)");
  if (Array.isArray(value)) return value.length ? value.map((v) => typeof v === "object" ? JSON.stringify(v) : String(v)).join(", ") : h("span", { class: "muted" }, "(none)");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
