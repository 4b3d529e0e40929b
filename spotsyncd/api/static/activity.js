// Activity: the queue now (counts, running jobs with progress), adding links and playlist files,
// the tracks (newest first, one short reason per row), bulk actions, and the event log.
"use strict";

import { api, hasRoute } from "/static/api.js";
import { $, badge, enc, field, fmt, h, navigate, notice, section, when } from "/static/ui.js";

export const title = () => "Activity";

const CLEARED_KEY = "spotsyncd.cleared";
const jobs = new Map();
let trackCursor = null;
let logBefore = null;

export async function draw(_arg, params) {
  jobs.clear();
  const view = [
    h("h1", {}, "Activity"),
    section("Queue",
      h("div", { id: "counts", class: "chips", role: "group", "aria-label": "tracks by state" }),
      h("div", { id: "circuits", class: "chips" }),
      h("p", { id: "today", class: "muted" })),
    section("Add links", addForm()),
    section("Now",
      h("p", { id: "jobs-empty", class: "muted" }, "Nothing running. Paste a link above."),
      h("ul", { id: "jobs", class: "jobs" }),
      h("button", { type: "button", class: "secondary", id: "clear-finished", hidden: true, onclick: clearFinished }, "Clear finished from view")),
    h("div", { class: "columns" },
      section("Tracks", trackControls(params),
        h("div", { class: "row" },
          h("button", { type: "button", id: "retry-failed", class: "secondary", onclick: () => retryAll("failed") }, "Retry all failed"),
          h("button", { type: "button", id: "retry-waiting", class: "secondary", onclick: () => retryAll("waiting") }, "Retry all waiting now")),
        h("ul", { id: "tracks", class: "tracks" }),
        h("button", { type: "button", id: "more", class: "secondary", hidden: true, onclick: () => loadTracks(true) }, "More tracks")),
      section("Log", logControls(),
        h("ul", { id: "log", class: "log" }),
        h("button", { type: "button", id: "older", class: "secondary", hidden: true, onclick: () => loadLog(true) }, "Older events"))),
  ];
  return view;
}

export function after() {
  loadStatus();
  loadTracks(false);
  loadLog(false);
  showImport();
}

// ---------------------------------------------------------------- counts

let statusTimer = null;
function statusSoon() {
  if (statusTimer) return;
  statusTimer = setTimeout(() => { statusTimer = null; loadStatus(); }, 300);
}

async function loadStatus() {
  let data;
  try { data = await api("GET", "/status"); } catch (e) { return; }
  if (!$("counts")) return;
  const state = $("state-filter") ? $("state-filter").value : "";
  $("counts").replaceChildren(...Object.entries(data.jobs || {}).map(([name, n]) =>
    h("button", { type: "button", class: "chip", dataset: { state: name }, "aria-pressed": String(state === name),
      title: `show only ${name} tracks`, onclick: () => { $("state-filter").value = state === name ? "" : name; loadTracks(false); loadStatus(); } },
    `${name} `, h("b", {}, n))));
  $("circuits").replaceChildren(...Object.entries(data.circuits || {}).map(([lane, c]) =>
    h("span", { class: `chip ${c.open ? "open" : "closed"}`, title: c.reason || "" },
      c.open ? [`${lane}: paused `, when(c.open_until, "until ")] : `${lane}: ok`)));
  const today = data.today || {};
  $("today").textContent = `today ${today.done || 0} done, ${today.failed || 0} failed · ${fmt.bytes(data.disk_free_bytes)} free`;
  for (const job of data.in_flight || []) upsertJob(job.key, { state: "running", ...job });
}

// ---------------------------------------------------------------- adding links and files

function addForm() {
  const form = h("form", { id: "add-form", onsubmit: addLinks },
    h("div", { class: "row add-row" },
      field("Links, one per line", h("textarea", { id: "links", name: "links", rows: 2, required: true,
        placeholder: "Spotify, YouTube, SoundCloud, a feed… or Artist - Title" })),
      h("button", { type: "submit", id: "add-button" }, "Add")),
    h("label", { class: "check" }, h("input", { type: "checkbox", id: "follow" }), " follow (playlists, channels, feeds)"));
  const upload = h("form", { id: "import-form", hidden: true, onsubmit: importFile },
    h("div", { class: "row" },
      field("Import a playlist file", h("input", { type: "file", id: "import-file", required: true,
        accept: ".m3u,.m3u8,.pls,.xspf,.jspf,.json,.csv,.txt,.zip",
        title: "M3U, XSPF, JSPF, a CSV export, or Playlist1.json / YourLibrary.json of Spotify's account data export" })),
      h("button", { type: "submit", class: "secondary", id: "import-button" }, "Import")),
    h("ul", { id: "import-results", class: "results", "aria-live": "polite" }),
    h("ul", { id: "collections", class: "results", "aria-label": "imported playlists" }));
  return [form, h("ul", { id: "add-results", class: "results", "aria-live": "polite" }), upload];
}

async function showImport() {
  // POST /imports comes with the playlist-file import: without it the control stays hidden.
  if (!(await hasRoute("/imports")) || !$("import-form")) return;
  $("import-form").hidden = false;
  loadCollections();
}

async function importFile(e) {
  e.preventDefault();
  const file = $("import-file").files[0];
  if (!file) return;
  const button = $("import-button");
  button.disabled = true;
  $("import-results").replaceChildren(h("li", {}, `Reading ${file.name}…`));
  try {
    const data = await api("POST", `/imports?name=${enc(file.name)}`, file);
    $("import-results").replaceChildren(
      h("li", { class: "queued" }, `${file.name} (${data.format}): ${data.queued} queued, ` +
        `${data.known} already known, ${data.refused} refused`),
      ...(data.collections || []).map((c) =>
        h("li", {}, `${c.name}: ${c.tracks} tracks, ${c.queued} new → Playlists/${c.name}.m3u8`)),
      ...(data.refusals || []).slice(0, 10).map((r) =>
        h("li", { class: "refused" }, `${r.position}: ${r.text}: ${r.reason}`)));
    $("import-file").value = "";
    loadCollections();
    loadTracks(false);
    statusSoon();
  } catch (err) {
    $("import-results").replaceChildren(h("li", { class: "refused" }, err.message));
  } finally { button.disabled = false; }
}

// Each imported playlist's progress: "Morning: 12 of 40 filed, 1 failed".
let collectionsTimer = null;
function loadCollectionsSoon() {
  if (collectionsTimer || !$("collections") || $("import-form").hidden) return;
  collectionsTimer = setTimeout(() => { collectionsTimer = null; loadCollections(); }, 1000);
}

async function loadCollections() {
  let rows;
  try { rows = await api("GET", "/collections"); } catch (e) { return; }
  if (!$("collections")) return;
  $("collections").replaceChildren(...rows.map((c) => {
    const done = (c.states || {}).done || 0;
    const failed = (c.states || {}).failed || 0;
    return h("li", { dataset: { name: c.name } },
      h("progress", { max: c.tracks || 1, value: done, "aria-label": `${c.name} filed` }),
      ` ${c.name}: ${done} of ${c.tracks} filed`, failed ? `, ${failed} failed` : "",
      h("span", { class: "muted" }, ` → ${c.playlist}`));
  }));
}

async function addLinks(e) {
  e.preventDefault();
  const button = $("add-button");
  button.disabled = true;
  try {
    const data = await api("POST", "/links", { links: $("links").value.split(/\r?\n/), follow: $("follow").checked });
    $("add-results").replaceChildren(...data.results.map((r) =>
      h("li", { class: r.outcome.split(" ")[0] }, `${r.text} → ${r.outcome}`, r.reason ? `: ${r.reason}` : "")));
    for (const r of data.results) {
      if (r.outcome === "queued") upsertJob(r.key, { state: "pending", title: r.text });
    }
    if (data.queued) $("links").value = "";
    loadTracks(false);
  } catch (err) {
    $("add-results").replaceChildren(h("li", { class: "refused" }, err.message));
  } finally { button.disabled = false; }
}

// ---------------------------------------------------------------- running jobs

function clearedAt() { return Number(localStorage.getItem(CLEARED_KEY) || 0); }

function clearFinished() {
  localStorage.setItem(CLEARED_KEY, String(Date.now()));
  for (const [key, item] of jobs) {
    if (["done", "failed"].includes(item.li.dataset.state)) { item.li.remove(); jobs.delete(key); }
  }
  $("jobs-empty").hidden = jobs.size > 0;
  $("clear-finished").hidden = true;
}

function upsertJob(key, info) {
  const list = $("jobs");
  if (!list) return;
  let item = jobs.get(key);
  if (!item) {
    const bar = h("progress", { max: 100, "aria-label": "progress" });
    const name = h("a", { class: "job-name", href: `/track/${enc(key)}` }, info.label || info.title || key);
    const status = h("span", { class: "job-status" });
    const li = h("li", { class: "job", dataset: { key } }, h("div", { class: "job-head" }, name, status), bar);
    list.prepend(li);
    item = { li, bar, name, status };
    jobs.set(key, item);
    $("jobs-empty").hidden = true;
  }
  if (info.label || info.title) item.name.textContent = info.label || info.title;
  const state = info.state || item.li.dataset.state || "pending";
  item.li.dataset.state = state;
  let text = state;
  if (state === "done") item.bar.value = 100;
  else if (state === "failed") { item.bar.value = 0; text = `failed: ${shortOf(info.message)}`; }
  else if (state === "running") {
    if (["process", "processing", "tagging"].includes(info.stage)) { item.bar.value = 100; text = info.stage === "tagging" ? "tagging" : "processing"; }
    else if (["listing", "searching"].includes(info.stage)) { item.bar.removeAttribute("value"); text = info.stage; }
    else if (typeof info.percent === "number") {
      item.bar.value = info.percent;
      text = `${info.percent.toFixed(0)}%`;
      if (info.eta) text += ` · ${Math.round(info.eta)} s left`;
      if (info.speed) text += ` · ${fmt.bytes(info.speed)}/s`;
    } else { item.bar.removeAttribute("value"); text = "starting"; }
  } else { item.bar.value = 0; text = info.message && info.kind !== "queued" ? `${state}: ${shortOf(info.message)}` : state; }
  item.status.textContent = text;
  item.status.title = info.message || "";
  $("clear-finished").hidden = ![...jobs.values()].some((j) => ["done", "failed"].includes(j.li.dataset.state));
}

// The first clause of a message (the full text is on the track's page).
function shortOf(message) {
  const text = String(message || "").replace(/\s+/g, " ").split(/(?<=[.;])\s|\s\(/)[0].replace(/[.;,:]$/, "");
  return text.length > 90 ? `${text.slice(0, 89)}…` : text;
}

// ---------------------------------------------------------------- tracks

function trackControls(params) {
  const states = ["", "pending", "waiting", "running", "done", "failed"];
  return h("form", { id: "track-filter", class: "row", onsubmit: (e) => { e.preventDefault(); loadTracks(false); } },
    field("Search", h("input", { type: "search", id: "q", value: params.get("q") || "", oninput: searchSoon, placeholder: "title, artist, album, link" })),
    field("State", h("select", { id: "state-filter", onchange: () => { loadTracks(false); loadStatus(); } },
      states.map((s) => h("option", { value: s, selected: s === (params.get("state") || "") }, s || "all states")))),
    field("Order", h("select", { id: "order", onchange: () => loadTracks(false) },
      h("option", { value: "newest" }, "newest first"), h("option", { value: "oldest" }, "oldest first"))));
}

let searchTimer = null;
function searchSoon() { clearTimeout(searchTimer); searchTimer = setTimeout(() => loadTracks(false), 250); }

function trackRow(t) {
  return h("li", { dataset: { key: t.key, state: t.state } },
    badge(t.state),
    h("a", { class: "name", href: `/track/${enc(t.key)}`, title: fmt.name(t) }, fmt.name(t)),
    t.reason ? h("span", { class: "reason", title: t.error || "" }, t.reason) : null,
    when(t.done_at || t.added_at));
}

async function loadTracks(more) {
  const params = new URLSearchParams({ limit: "50", order: $("order") ? $("order").value : "newest" });
  if ($("q") && $("q").value.trim()) params.set("q", $("q").value.trim());
  if ($("state-filter") && $("state-filter").value) params.set("state", $("state-filter").value);
  if (more && trackCursor) params.set("cursor", trackCursor);
  let data;
  try { data = await api("GET", "/tracks?" + params); } catch (e) { return; }
  if (!$("tracks")) return;
  // The ledger has the last word on the jobs under "Now": a progress message can come after
  // a job ended, and a stream that reconnects may say things twice.
  for (const t of data.items) {
    const job = jobs.get(t.key);
    if (job && t.state !== "running" && job.li.dataset.state !== t.state) {
      upsertJob(t.key, { state: t.state, message: t.reason || t.error, kind: "" });
    }
  }
  const rows = data.items.map(trackRow);
  if (!rows.length && !more) rows.push(h("li", { class: "muted" }, "No tracks here."));
  if (more) $("tracks").append(...rows); else $("tracks").replaceChildren(...rows);
  trackCursor = data.next_cursor;
  $("more").hidden = !trackCursor;
}

async function retryAll(which) {
  try {
    const data = await api("POST", "/retries", { which });
    notice(data.message, "ok");
  } catch (err) { notice(err.message, "error"); }
  loadTracks(false);
  loadStatus();
}

// ---------------------------------------------------------------- the event log

function logControls() {
  return h("form", { id: "log-filter", class: "row", onsubmit: (e) => { e.preventDefault(); loadLog(false); } },
    field("Search the log", h("input", { type: "search", id: "log-q", oninput: () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => loadLog(false), 250); } })),
    field("Level", h("select", { id: "log-level", onchange: () => loadLog(false) },
      ["", "info", "warning", "error"].map((l) => h("option", { value: l }, l || "all levels")))),
    field("Kind", h("select", { id: "log-kind", onchange: () => loadLog(false) }, h("option", { value: "" }, "all kinds"))));
}

function logRow(e) {
  const who = e.key ? h("a", { href: `/track/${enc(e.key)}` }, e.label || e.key)
    : e.follow ? h("a", { href: `/follows/${enc(e.follow)}` }, e.follow) : null;
  return h("li", { class: `level-${e.level}`, dataset: { id: e.id } },
    when(e.ts), " ", h("b", {}, e.kind), who ? [" · ", who] : null,
    h("div", { class: "message", title: e.message }, shortOf(e.message)));
}

async function loadLog(more) {
  const params = new URLSearchParams({ limit: "30" });
  if ($("log-q") && $("log-q").value.trim()) params.set("q", $("log-q").value.trim());
  if ($("log-level") && $("log-level").value) params.set("level", $("log-level").value);
  if ($("log-kind") && $("log-kind").value) params.set("kind", $("log-kind").value);
  if (more && logBefore) params.set("before", String(logBefore));
  let data;
  try { data = await api("GET", "/activity?" + params); } catch (e) { return; }
  if (!$("log")) return;
  const rows = data.items.map(logRow);
  if (more) $("log").append(...rows); else $("log").replaceChildren(...rows);
  logBefore = data.next_before;
  $("older").hidden = !logBefore;
  const kinds = $("log-kind");
  const known = new Set([...kinds.options].map((o) => o.value));
  for (const kind of data.kinds) if (!known.has(kind)) kinds.append(h("option", { value: kind }, kind));
}

// ---------------------------------------------------------------- live

const JOB_KINDS = new Set(["queued", "requeued", "started", "done", "failed", "retry", "deferred", "expanded"]);
let tracksTimer = null;
let logTimer = null;

export function onEvent(event) {
  if (!$("jobs")) return;
  if (event.type === "progress") {
    // Progress has no place in the event log's order: one sent just before a job ended can
    // arrive after its "done" or "failed", and must not make it look running again.
    const known = jobs.get(event.key);
    if (!known || !["done", "failed"].includes(known.li.dataset.state)) upsertJob(event.key, { state: "running", ...event });
    return;
  }
  if (event.key && (JOB_KINDS.has(event.kind) || jobs.has(event.key))) {
    let state = event.state;
    if (event.kind === "started") state = "running";
    if (event.kind === "done" || event.kind === "expanded") state = "done";
    if (event.kind === "failed") state = "failed";
    const finished = ["done", "failed"].includes(state);
    if (!(finished && !jobs.has(event.key) && event.ts * 1000 < clearedAt())) {
      upsertJob(event.key, { state, label: event.label, title: event.title, message: event.message, kind: event.kind });
    }
  }
  if (["done", "failed"].includes(event.kind)) loadCollectionsSoon();
  clearTimeout(tracksTimer);
  tracksTimer = setTimeout(() => loadTracks(false), 400);
  clearTimeout(logTimer);
  logTimer = setTimeout(() => loadLog(false), 600);
  statusSoon();
}

