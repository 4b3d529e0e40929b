// Follows: every followed playlist, channel or feed, and a page for each: its tracks by state,
// last and next poll, its playlist file, sync now, the interval, unfollow.
"use strict";

import { api, freshTicket, withTicket } from "/static/api.js";
import { $, badge, enc, field, fmt, h, navigate, notice, section, when } from "/static/ui.js";

let openName = null;
export const title = (name) => name ? `Follow: ${name}` : "Follows";

export async function draw(name) {
  openName = name;
  return name ? drawOne(name) : drawAll();
}

async function drawAll() {
  let rows = [];
  try { rows = await api("GET", "/follows"); } catch (err) { return [h("h1", {}, "Follows"), h("p", { class: "error" }, err.message)]; }
  const list = rows.length ? h("ul", { class: "follows", id: "follows" }, rows.map((f) => h("li", { dataset: { name: f.name } },
    h("a", { href: `/follows/${enc(f.name)}` }, h("b", {}, f.title || f.name)),
    h("span", { class: "muted" }, ` · ${f.kind} · ${f.tracks.done} of ${f.tracks.known} done`, f.tracks.failed ? `, ${f.tracks.failed} failed` : ""),
    h("div", { class: "muted" }, when(f.last_poll_at, "polled "), " · ", when(f.next_poll_at, "next "))))) 
    : h("p", { class: "muted" }, "No follows yet.");
  const form = h("form", { id: "follow-form", onsubmit: addFollow },
    field("Playlist, channel or feed URL", h("input", { type: "url", id: "follow-url", required: true })),
    h("div", { class: "row" },
      field("Poll every", h("input", { type: "text", id: "follow-every", placeholder: "6h", size: 6 })),
      field("Name (optional)", h("input", { type: "text", id: "follow-name" })),
      h("button", { type: "submit" }, "Follow")));
  return [h("h1", {}, "Follows"), list, section("Follow something new", form)];
}

async function addFollow(e) {
  e.preventDefault();
  const body = { url: $("follow-url").value.trim() };
  if ($("follow-every").value.trim()) body.every = $("follow-every").value.trim();
  if ($("follow-name").value.trim()) body.name = $("follow-name").value.trim();
  try {
    const row = await api("POST", "/follows", body);
    navigate(`/follows/${enc(row.name)}`);
  } catch (err) { notice(err.message, "error"); }
}

const GROUPS = [
  ["Waiting", (t) => !t.absent_since && ["pending", "waiting", "running"].includes(t.state)],
  ["Failed", (t) => !t.absent_since && t.state === "failed"],
  ["Done", (t) => !t.absent_since && t.state === "done"],
  ["In review", (t) => !t.absent_since && t.state === "review"],
  ["Set aside (older than the follow's window; retry one to fetch it)", (t) => !t.absent_since && t.state === "skipped"],
  ["Removed upstream", (t) => t.absent_since],
];

async function drawOne(name) {
  let f, items;
  try {
    [f, items] = await Promise.all([api("GET", `/follows/${enc(name)}`), api("GET", `/follows/${enc(name)}/tracks`)]);
  } catch (err) {
    return [h("p", {}, h("a", { href: "/follows" }, "← Follows")), h("h1", {}, name), h("p", { class: "error" }, err.message)];
  }
  const t = await freshTicket();
  const facts = [["kind", f.kind], ["link", f.url], ["last poll", when(f.last_poll_at)], ["next poll", when(f.next_poll_at)],
    ["last change", f.last_change_at ? when(f.last_change_at) : null], ["polled every", fmt.every(f.interval_s)],
    ["tracks", `${f.tracks.done} of ${f.tracks.known} done, ${f.tracks.failed} failed, ${f.tracks.absent} removed upstream`],
    ["added by", f.origin]];
  const groups = GROUPS.map(([label, test]) => [label, items.items.filter(test)]).filter(([, list]) => list.length);
  return [
    h("p", {}, h("a", { href: "/follows" }, "← Follows")),
    h("h1", {}, f.title || f.name),
    h("dl", { class: "facts" }, facts.filter(([, v]) => v).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    f.error ? h("p", { class: "error" }, `last poll failed: ${f.error}`) : null,
    h("div", { class: "row" },
      h("button", { type: "button", id: "sync-now", onclick: () => action("POST", `/follows/${enc(f.name)}/sync`) }, "Sync now"),
      h("a", { class: "button secondary", href: withTicket(items.playlist_url, t), download: `${f.name}.m3u8` }, "Playlist file (m3u8)"),
      h("button", { type: "button", class: "danger", id: "unfollow", onclick: () => unfollow(f.name) }, "Unfollow")),
    h("form", { class: "row", id: "interval-form", onsubmit: (e) => { e.preventDefault(); action("PATCH", `/follows/${enc(f.name)}`, { every: $("interval").value.trim() }); } },
      field("Poll every", h("input", { type: "text", id: "interval", value: fmt.every(f.interval_s), size: 6, required: true })),
      h("button", { type: "submit", class: "secondary" }, "Change")),
    groups.length ? groups.map(([label, list]) => section(`${label} (${list.length})`,
      h("ul", { class: "tracks" }, list.map((item) => h("li", { dataset: { key: item.key, state: item.state } },
        badge(item.absent_since ? "removed" : item.state),
        h("a", { class: "name", href: `/track/${enc(item.key)}` }, item.label),
        item.absent_since ? when(item.absent_since, "gone ") : null)))))
      : h("p", { class: "muted", id: "no-items" }, "Nothing listed yet: the first poll fills this."),
  ];
}

async function action(method, path, body) {
  try {
    const data = await api(method, path, body);
    notice(data.message || `polled every ${fmt.every(data.interval_s)}`, "ok");
  } catch (err) { notice(err.message, "error"); }
  window.dispatchEvent(new PopStateEvent("popstate"));
}

async function unfollow(name) {
  if (!confirm(`Unfollow ${name}? Its files stay in the library.`)) return;
  try { const data = await api("DELETE", `/follows/${enc(name)}`); notice(data.message, "ok"); } catch (err) { notice(err.message, "error"); return; }
  navigate("/follows");
}

let timer = null;
export function onEvent(event) {
  if (event.type === "progress") return;
  if (!openName || event.follow === openName || event.key) {
    clearTimeout(timer);
    timer = setTimeout(() => window.dispatchEvent(new PopStateEvent("popstate")), 800);
  }
}
