// Health: sources (circuits, and whatever else the daemon reports), workers with their
// heart-beats, disk, media servers, notifications (send a test), yt-dlp. Fields another part of
// spotsyncd adds are shown as they come; missing ones are simply left out.
"use strict";

import { api, hasRoute } from "/static/api.js";
import { $, counted, fmt, h, notice, section, when } from "/static/ui.js";

export const title = () => "Health";
const SHOWN = new Set(["daemon", "queue_backend", "local_workers", "workers", "circuits", "disk",
  "media_servers", "notifications", "ytdlp", "budgets", "yt_dlp", "sources"]);

export async function draw() {
  let data;
  try { data = await api("GET", "/health"); } catch (err) { return [h("h1", {}, "Health"), h("p", { class: "error" }, err.message)]; }
  const d = data.daemon || {};
  const circuits = Object.entries(data.circuits || {});
  const disk = data.disk || {};
  const notes = data.notifications || {};
  return [
    h("h1", {}, "Health"),
    h("div", { id: "source-health" }),
    section("Sources",
      circuits.length ? h("ul", { class: "status-list", id: "circuits-list" }, circuits.map(([lane, c]) =>
        h("li", { dataset: { lane, open: String(Boolean(c.open)) } },
          h("span", { class: `dot ${c.open ? "bad" : "good"}`, "aria-hidden": "true" }),
          h("b", {}, lane), " ", c.open ? ["paused ", when(c.open_until, "until ")] : "working",
          c.reason ? h("div", { class: "muted" }, c.reason) : null)))
        : h("p", { id: "circuits-ok", class: "muted" }, "Every source is working: no circuit is open.")),
    section("Workers",
      h("p", {}, d.running ? ["daemon running", d.version ? ` (${d.version})` : "", d.uptime_s ? when(Date.now() / 1000 - d.uptime_s, " · started ") : ""] : "daemon not running"),
      h("p", {}, `queue: ${data.queue_backend}`, data.local_workers ? ` · ${counted(data.local_workers.workers, "local worker")}, ${data.local_workers.running} running now` : ""),
      (data.workers || []).length ? h("ul", { class: "status-list" }, data.workers.map((w) => h("li", {},
        h("b", {}, w.name), ` ${w.role} · ${w.concurrency} at once · heart-beat `, when(w.seen_at))))
        : h("p", { class: "muted" }, "No remote workers.")),
    section("Disk",
      disk.error ? h("p", { class: "error" }, disk.error)
        : h("p", {}, `${fmt.bytes(disk.free_bytes)} free of ${fmt.bytes(disk.total_bytes)} at `, h("code", {}, disk.path || ""))),
    section("Media servers",
      (data.media_servers || []).length ? h("ul", {}, data.media_servers.map((s) => h("li", {}, h("b", {}, s.name), ` ${s.type} · ${s.url}`)))
        : h("p", { class: "muted" }, "None configured (media_servers in the config).")),
    section("Notifications",
      (notes.urls || []).length ? h("ul", {}, notes.urls.map((u) => h("li", {}, u))) : h("p", { class: "muted" }, "None configured (notify.urls in the config)."),
      notes.on ? h("p", { class: "muted" }, `on: ${notes.on.join(", ") || "nothing"}`) : null,
      h("button", { type: "button", id: "notify-test", class: "secondary", disabled: !(notes.urls || []).length, onclick: sendTest }, "Send a test"),
      h("ul", { id: "notify-result", "aria-live": "polite" })),
    section("yt-dlp", h("p", { class: data.ytdlp && data.ytdlp.status !== "ok" ? "error" : "" },
      (data.ytdlp || {}).detail || "unknown"), (data.ytdlp || {}).fix ? h("p", { class: "muted" }, data.ytdlp.fix) : null,
      h("p", { id: "ytdlp-newest", class: "muted" })),
    data.budgets ? section("Budgets per source", budgets(data.budgets)) : null,
    Object.entries(data).filter(([k, v]) => !SHOWN.has(k) && v !== null && v !== undefined).map(([k, v]) => section(k.replace(/_/g, " "), generic(v))),
  ];
}

// The source-health table (GET /health/sources), where the daemon has it.
export async function after() {
  if (!(await hasRoute("/health/sources"))) return;
  let data;
  try { data = await api("GET", "/health/sources"); } catch (e) { return; }
  const place = $("source-health");
  if (!place) return;
  const rows = Array.isArray(data.sources) ? data.sources : [];
  place.replaceChildren(section("Source health",
    rows.length ? h("ul", { class: "status-list", id: "source-health-list" }, rows.map((r) => h("li", { dataset: { source: r.name, state: r.state } },
      h("span", { class: `dot ${r.state === "ok" ? "good" : "bad"}`, "aria-hidden": "true" }),
      h("b", {}, r.name || "?"), " ", r.state || "", r.since ? when(r.since, " since ") : null,
      r.checked_at ? h("span", { class: "muted" }, " · checked ", when(r.checked_at)) : null,
      r.error ? h("div", { class: "muted" }, r.error) : null,
      r.fix ? h("div", {}, r.fix) : null)))
      : h("p", { class: "muted" }, "No source checked yet.")));
  const y = data.yt_dlp || {};
  if (y.update_available && y.newest && $("ytdlp-newest")) {
    $("ytdlp-newest").textContent = `yt-dlp ${y.newest} is available: 'spotsyncd extractors update' installs it`;
  }
}

// sources.*: how many requests each source may have under way at once, how far apart.
function budgets(shown) {
  return h("ul", { class: "status-list", id: "budgets-list" }, Object.entries(shown).map(([name, b]) =>
    h("li", { dataset: { source: name } }, h("b", {}, name), " ",
      b.max_concurrent ? `${b.max_concurrent} at once` : "no limit at once",
      b.min_interval_s ? `, at least ${b.min_interval_s}s apart` : "",
      ` · ${b.in_use || 0} under way now`)));
}

// Anything another part adds: a table for a list of objects, a list for an object, else text.
function generic(value) {
  if (Array.isArray(value) && value.length && typeof value[0] === "object") {
    const columns = [...new Set(value.flatMap((row) => Object.keys(row)))];
    return h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, value.map((row) => h("tr", {}, columns.map((c) => h("td", {}, text(row[c]))))))));
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return h("dl", { class: "facts" }, Object.entries(value).map(([k, v]) => [h("dt", {}, k), h("dd", {}, text(v))]));
  }
  return h("p", {}, text(value));
}

function text(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

async function sendTest() {
  try {
    const data = await api("POST", "/notifications/test");
    $("notify-result").replaceChildren(...data.deliveries.map((d) => h("li", { class: d.ok ? "ok" : "error" }, `${d.ok ? "sent" : "failed"}: ${d.url}${d.detail ? " (" + d.detail + ")" : ""}`)));
    notice(data.message, "ok");
  } catch (err) { notice(err.message, "error"); }
}

let timer = null;
export function onEvent(event) {
  if (event.type === "progress") return;
  clearTimeout(timer);
  timer = setTimeout(() => window.dispatchEvent(new PopStateEvent("popstate")), 1000);
}
