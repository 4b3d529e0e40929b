// spotsyncd dashboard: plain JavaScript, no build step, no CDN. Live updates come from one
// EventSource on /api/v1/events (no polling loop); data comes from the same JSON API scripts use.
"use strict";

const API = "/api/v1";
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// The session lives in localStorage (this origin only, port included) and travels in a header:
// a cookie would be sent to every other port of this host. See /login and api/routes/pages.py.
const SESSION_KEY = "spotsyncd.session";
const session = () => localStorage.getItem(SESSION_KEY);

// The event stream and <audio> cannot send a header: they carry a short-lived ticket instead.
let ticket = null;
let ticketUntil = 0;
async function freshTicket() {
  if (!ticket || Date.now() > ticketUntil) {
    const data = await api("POST", "/tickets");
    ticket = data.ticket;
    ticketUntil = Date.now() + (data.expires_in - 60) * 1000;
  }
  return ticket;
}
const withTicket = (url, t) => `${url}${url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(t)}`;

async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "omit", cache: "no-store" };
  const current = session();
  if (current) options.headers.Authorization = `Session ${current}`;
  if (body instanceof Blob) {
    options.body = body;  // a file, sent as it is (POST /imports)
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || response.statusText;
    if (response.status === 401) showLogin();
    throw new Error(message);
  }
  return data;
}

function showLogin() {
  localStorage.removeItem(SESSION_KEY);
  $("daemon").textContent = "signed out: run 'spotsyncd web' for a login link";
  $("logout").hidden = true;
}

async function logout() {
  try { await api("POST", "/logout"); } catch (e) { /* signed out either way */ }
  showLogin();
  if (events) events.close();
}

const fmt = {
  ago(ts) {
    if (!ts) return "never";
    const s = Math.round(Date.now() / 1000 - ts);
    const abs = Math.abs(s), future = s < 0;
    const text = abs < 90 ? `${abs}s` : abs < 5400 ? `${Math.round(abs / 60)}m`
      : abs < 172800 ? `${(abs / 3600).toFixed(1)}h` : `${(abs / 86400).toFixed(1)}d`;
    return future ? `in ${text}` : `${text} ago`;
  },
  bytes(n) {
    if (n === null || n === undefined) return "?";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  },
  when(ts) { return ts ? new Date(ts * 1000).toLocaleString() : "never"; },
  name(t) { return [t.artist, t.title].filter(Boolean).join(" – ") || t.key; },
};

// ---------------------------------------------------------------- status (generic: any state, any circuit)

let statusTimer = null;
function refreshStatusSoon() {
  if (statusTimer) return;
  statusTimer = setTimeout(() => { statusTimer = null; loadStatus(); }, 250);
}

async function loadStatus() {
  let data;
  try { data = await api("GET", "/status"); } catch (e) { return; }
  const d = data.daemon || {};
  $("daemon").textContent = d.running ? `daemon running${d.version ? " · " + d.version : ""}` : "daemon not running";
  const counts = $("counts");
  counts.replaceChildren(...Object.entries(data.jobs || {}).map(([state, n]) =>
    h("span", { class: "chip", dataset: { state } }, `${state} `, h("b", {}, n))));
  const circuits = $("circuits");
  circuits.replaceChildren(...Object.entries(data.circuits || {}).map(([lane, c]) =>
    h("span", { class: `chip ${c.open ? "open" : "closed"}`, title: c.reason || "" },
      c.open ? `${lane}: paused until ${new Date(c.open_until * 1000).toLocaleTimeString()}` : `${lane}: ok`)));
  $("disk").textContent = `library ${data.library_dir} · ${fmt.bytes(data.disk_free_bytes)} free · ` +
    `today ${data.today.done} done, ${data.today.failed} failed`;
  const select = $("state");
  const known = new Set([...select.options].map((o) => o.value));
  for (const state of Object.keys(data.jobs || {})) {
    if (!known.has(state)) select.append(h("option", { value: state }, state));
  }
  for (const job of data.in_flight || []) upsertJob(job.key, { state: "running", title: job.title, ...job });
}

// ---------------------------------------------------------------- jobs with live progress bars

const jobs = new Map();

function upsertJob(key, info) {
  let item = jobs.get(key);
  if (!item) {
    const bar = h("progress", { max: 100 });
    const name = h("span", { class: "job-name" }, info.title || key);
    const status = h("span", { class: "job-status" });
    const li = h("li", { class: "job", dataset: { key } }, h("div", { class: "job-head" }, name, status), bar);
    li.addEventListener("click", () => openTrack(key));
    $("jobs").prepend(li);
    item = { li, bar, name, status, started: Date.now() };
    jobs.set(key, item);
    $("jobs-empty").hidden = true;
  }
  if (info.title) item.name.textContent = info.title;
  const state = info.state || item.li.dataset.state || "pending";
  item.li.dataset.state = state;
  let text = state;
  if (state === "done") { item.bar.value = 100; text = "done"; }
  else if (state === "failed") { item.bar.value = 0; text = `failed: ${info.message || ""}`; }
  else if (state === "running") {
    if (["process", "processing", "tagging"].includes(info.stage)) {
      item.bar.value = 100; text = info.stage === "tagging" ? "tagging" : "processing";
    } else if (["listing", "searching"].includes(info.stage)) {
      item.bar.removeAttribute("value"); text = info.stage;
    }
    else if (typeof info.percent === "number") {
      item.bar.value = info.percent;
      text = `${info.percent.toFixed(0)}%`;
      if (info.eta) text += ` · eta ${Math.round(info.eta)}s`;
      if (info.speed) text += ` · ${fmt.bytes(info.speed)}/s`;
    } else { item.bar.removeAttribute("value"); text = "starting"; }
  } else if (state === "pending") { item.bar.value = 0; text = info.message && info.kind !== "queued" ? `waiting: ${info.message}` : "queued"; }
  item.status.textContent = text;
}

// ---------------------------------------------------------------- the event stream

let events = null;
async function connect() {
  if (!session()) { showLogin(); return; }
  let t;
  try { t = await freshTicket(); } catch (e) { setTimeout(connect, 5000); return; }
  if (events) events.close();
  const source = new EventSource(withTicket(API + "/events", t));
  events = source;
  source.onopen = () => { $("live").textContent = "live"; $("live").className = "pill on"; loadStatus(); };
  source.onerror = () => {
    $("live").textContent = "reconnecting"; $("live").className = "pill off";
    // The browser retries with the same URL; once the ticket is old, start over with a new one.
    if (Date.now() > ticketUntil) { source.close(); setTimeout(connect, 2000); }
  };
  source.onmessage = (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch (e) { return; }
    if (data.type === "progress") { upsertJob(data.key, { state: "running", ...data }); return; }
    onEvent(data);
  };
}

const JOB_KINDS = new Set(["queued", "requeued", "started", "done", "failed", "retry", "deferred", "expanded"]);

function onEvent(event) {
  if (event.key && (JOB_KINDS.has(event.kind) || jobs.has(event.key))) {
    let state = event.state;
    if (event.kind === "started") state = "running";
    if (event.kind === "done" || event.kind === "expanded") state = "done";
    if (event.kind === "failed") state = "failed";
    if (["queued", "requeued", "retry", "deferred"].includes(event.kind)) state = "pending";
    upsertJob(event.key, { state, title: event.title, message: event.message, kind: event.kind });
    updateTrackRow(event.key, state);
    if (openKey === event.key) openTrack(event.key);
  }
  if (event.follow) loadFollowsSoon();
  if (["queued", "done", "failed", "expanded"].includes(event.kind)) searchSoon();
  if (["done", "failed"].includes(event.kind)) loadCollectionsSoon();
  refreshStatusSoon();
}

// ---------------------------------------------------------------- adding links

async function addLinks(e) {
  e.preventDefault();
  const lines = $("links").value.split(/\r?\n/);
  const button = $("add-button");
  button.disabled = true;
  try {
    const data = await api("POST", "/links", { links: lines, follow: $("follow").checked });
    $("add-results").replaceChildren(...data.results.map((r) =>
      h("li", { class: r.outcome.split(" ")[0] }, `${r.text} → ${r.outcome}`, r.key ? ` (${r.key})` : "",
        r.reason ? `: ${r.reason}` : "")));
    for (const r of data.results) {
      if (r.outcome === "queued") upsertJob(r.key, { state: "pending", title: r.text });
      else if (r.outcome === "already done") upsertJob(r.key, { state: "done", title: r.text });
    }
    if (data.queued) $("links").value = "";
    if (data.results.some((r) => r.outcome === "followed")) loadFollows();
  } catch (err) {
    $("add-results").replaceChildren(h("li", { class: "refused" }, err.message));
  } finally { button.disabled = false; }
}

// ---------------------------------------------------------------- importing a playlist file

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
      ...data.collections.map((c) =>
        h("li", {}, `${c.name}: ${c.tracks} tracks, ${c.queued} new → Playlists/${c.name}.m3u8`)),
      ...data.refusals.slice(0, 10).map((r) =>
        h("li", { class: "refused" }, `${r.position}: ${r.text}: ${r.reason}`)));
    $("import-file").value = "";
    loadCollections();
    searchSoon();
    refreshStatusSoon();
  } catch (err) {
    $("import-results").replaceChildren(h("li", { class: "refused" }, err.message));
  } finally { button.disabled = false; }
}

// Each imported playlist's progress: "Morning: 12 of 40 filed, 1 failed".
let collectionsTimer = null;
function loadCollectionsSoon() {
  if (collectionsTimer) return;
  collectionsTimer = setTimeout(() => { collectionsTimer = null; loadCollections(); }, 1000);
}

async function loadCollections() {
  let rows;
  try { rows = await api("GET", "/collections"); } catch (e) { return; }
  $("collections").replaceChildren(...rows.map((c) => {
    const done = c.states.done || 0;
    const failed = c.states.failed || 0;
    return h("li", { dataset: { name: c.name } },
      h("progress", { max: c.tracks || 1, value: done }),
      ` ${c.name}: ${done} of ${c.tracks} filed`, failed ? `, ${failed} failed` : "",
      h("span", { class: "muted" }, ` → ${c.playlist}`));
  }));
}

// ---------------------------------------------------------------- tracks

let cursor = null;

async function loadTracks(more) {
  const params = new URLSearchParams({ limit: "50" });
  if ($("q").value.trim()) params.set("q", $("q").value.trim());
  if ($("state").value) params.set("state", $("state").value);
  if (more && cursor) params.set("cursor", cursor);
  let data;
  try { data = await api("GET", "/tracks?" + params); } catch (e) { return; }
  const rows = data.items.map((t) => h("li", { tabindex: 0, dataset: { key: t.key },
      onclick: () => openTrack(t.key), onkeydown: (ev) => { if (ev.key === "Enter") openTrack(t.key); } },
    h("span", { class: `state ${t.state}` }, t.state), h("span", { class: "name" }, fmt.name(t))));
  if (more) $("tracks").append(...rows); else $("tracks").replaceChildren(...rows);
  cursor = data.next_cursor;
  $("more").hidden = !cursor;
}

function updateTrackRow(key, state) {
  for (const li of $("tracks").children) {
    if (li.dataset.key === key && state) {
      const badge = li.querySelector(".state");
      badge.textContent = state;
      badge.className = `state ${state}`;
    }
  }
}

let searchTimer = null;
function searchSoon() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => loadTracks(false), 250);
}

// ---------------------------------------------------------------- one track

let openKey = null;

async function openTrack(key) {
  openKey = key;
  let t;
  try { t = await api("GET", `/tracks/${enc(key)}`); } catch (err) {
    $("detail-body").replaceChildren(h("p", { class: "error" }, err.message));
    $("detail").hidden = false;
    return;
  }
  if (openKey !== key) return;
  const fields = [["state", t.state], ["key", t.key], ["link", t.url], ["album", t.album],
    ["file", t.path], ["size", t.size_bytes ? fmt.bytes(t.size_bytes) : null],
    ["attempts", t.attempts], ["audio chosen by hand", t.override_url]];
  const body = [
    h("h3", {}, fmt.name(t)),
    h("dl", {}, fields.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  ];
  if (t.error) body.push(h("p", { class: "error" }, `last error (${t.error_class}): ${t.error}`));
  if (t.file_present === false) body.push(h("p", { class: "error" }, "the file is gone from the library: 'spotsyncd doctor --repair' fetches it again"));
  if (t.audio_url && t.file_present !== false) {
    const audio = withTicket(t.audio_url, await freshTicket());
    body.push(h("audio", { controls: true, preload: "metadata", src: audio, id: "player" }));
    body.push(h("p", {}, h("a", { href: audio, download: (t.path || "").split("/").pop() }, "Download")));
  }
  if (t.state === "failed" || t.state === "pending") {
    body.push(h("button", { onclick: () => act(`/tracks/${enc(key)}/retry`, {}, key) }, "Retry"));
  }
  if (t.candidates && t.candidates.length) {
    body.push(h("h4", {}, "Match candidates"));
    body.push(h("ul", { class: "candidates" }, t.candidates.map((c) => h("li", {},
      h("span", { class: "score" }, Number(c.score).toFixed(2)),
      h("span", {}, `${(c.artists || []).join(", ") || c.channel || "?"} – ${c.title}`),
      c.reasons ? h("span", { class: "muted" }, c.reasons) : null,
      h("button", { class: "secondary", onclick: () => act(`/tracks/${enc(key)}/match`, { url: c.url }, key) }, "Use this")))));
  }
  if (t.items && t.items.length) {
    body.push(h("h4", {}, `Items (${t.items.length})`));
    body.push(h("ul", { class: "tracks" }, t.items.slice(0, 200).map((c) => h("li", { onclick: () => openTrack(c.key) },
      h("span", { class: `state ${c.state}` }, c.state), h("span", { class: "name" }, fmt.name(c))))));
  }
  body.push(h("h4", {}, "History"));
  body.push(h("ul", { class: "history" }, t.events.slice().reverse().map((e) =>
    h("li", {}, `${fmt.when(e.ts)} ${e.kind}: ${e.message}`))));
  $("detail-body").replaceChildren(...body);
  $("detail").hidden = false;
}

async function act(path, payload, key) {
  try { await api("POST", path, payload); } catch (err) { alert(err.message); return; }
  upsertJob(key, { state: "pending" });
  openTrack(key);
}

// ---------------------------------------------------------------- follows

let followsTimer = null;
function loadFollowsSoon() {
  if (followsTimer) return;
  followsTimer = setTimeout(() => { followsTimer = null; loadFollows(); }, 500);
}

async function loadFollows() {
  let rows;
  try { rows = await api("GET", "/follows"); } catch (e) { return; }
  if (!rows.length) { $("follows").replaceChildren(h("li", { class: "muted" }, "No follows yet.")); return; }
  $("follows").replaceChildren(...rows.map((f) => h("li", { dataset: { name: f.name } },
    h("div", {}, h("b", {}, f.name), ` · ${f.kind}`),
    h("div", { class: "muted" }, `${f.tracks.done}/${f.tracks.known} done, ${f.tracks.failed} failed · last poll ${fmt.ago(f.last_poll_at)} · next ${fmt.ago(f.next_poll_at)}`),
    f.error ? h("div", { class: "error" }, `${f.error_class}: ${f.error}`) : null,
    h("div", { class: "actions" },
      h("button", { class: "secondary", onclick: () => followAction("POST", `/follows/${enc(f.name)}/sync`) }, "Sync now"),
      h("a", { href: `${API}/follows/${enc(f.name)}/playlist.m3u8` }, "m3u8"),
      h("button", { class: "danger", onclick: () => { if (confirm(`Unfollow ${f.name}? Files stay.`)) followAction("DELETE", `/follows/${enc(f.name)}`); } }, "Unfollow")))));
}

async function followAction(method, path, body) {
  try {
    const data = await api(method, path, body);
    $("follow-result").textContent = data.message || `following ${data.name}`;
  } catch (err) { $("follow-result").textContent = err.message; }
  loadFollows();
  loadCollections();
}

function addFollow(e) {
  e.preventDefault();
  const body = { url: $("follow-url").value.trim() };
  if ($("follow-every").value.trim()) body.every = $("follow-every").value.trim();
  if ($("follow-name").value.trim()) body.name = $("follow-name").value.trim();
  followAction("POST", "/follows", body).then(() => { $("follow-url").value = ""; });
}

// ---------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", () => {
  $("add-form").addEventListener("submit", addLinks);
  $("import-form").addEventListener("submit", importFile);
  $("track-filter").addEventListener("submit", (e) => { e.preventDefault(); loadTracks(false); });
  $("q").addEventListener("input", searchSoon);
  $("state").addEventListener("change", () => loadTracks(false));
  $("more").addEventListener("click", () => loadTracks(true));
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; openKey = null; });
  $("follow-form").addEventListener("submit", addFollow);
  $("logout").addEventListener("click", logout);
  if (!session()) { showLogin(); return; }
  loadStatus();
  loadTracks(false);
  loadFollows();
  connect();
});
