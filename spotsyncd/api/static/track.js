// One track: what it is, where it stands (the short reason, then the full text), play,
// download, retry, the match candidates, the identity verdict when the API gives one, history.
"use strict";

import { api, freshTicket, withTicket } from "/static/api.js";
import { play } from "/static/player.js";
import { enc, fmt, h, notice, when } from "/static/ui.js";

let openKey = null;
export const title = () => "Track";

export async function draw(key) {
  openKey = key;
  let t;
  try { t = await api("GET", `/tracks/${enc(key)}`); } catch (err) {
    return [h("h1", {}, "Track"), h("p", { class: "error" }, err.message)];
  }
  const ticket = await freshTicket();
  const fields = [["state", t.state], ["link", t.url], ["artist", t.artist], ["album", t.album],
    ["file", t.path], ["size", t.size_bytes ? fmt.bytes(t.size_bytes) : null],
    ["length", t.duration_s ? fmt.duration(t.duration_s) : null], ["attempts", t.attempts],
    ["added", t.added_at ? when(t.added_at) : null], ["filed", t.done_at ? when(t.done_at) : null],
    ["next try", t.retry_at ? when(t.retry_at) : null], ["audio chosen by hand", t.override_url], ["key", t.key]];
  // The identity verdict (verified, unverified, mismatch) and why, when the API gives one.
  const identity = t.identity && typeof t.identity === "object" ? t.identity : null;
  const verdict = t.verdict || (identity && identity.verdict);
  if (verdict) {
    fields.splice(1, 0, ["identity", h("span", { class: `verdict ${verdict}` }, verdict,
      identity && identity.reason ? h("span", { class: "muted" }, ` · ${identity.reason}`) : null)]);
  }
  if (identity && identity.recording_id) fields.splice(2, 0, ["MusicBrainz recording", identity.recording_id]);
  const body = [
    h("div", { class: "album-head" },
      t.cover_url ? h("img", { class: "cover", src: withTicket(`${t.cover_url}?placeholder=true`, ticket), alt: "", width: 150, height: 150 }) : null,
      h("div", {}, h("h1", { id: "track-title", tabindex: "-1" }, fmt.name(t)),
        t.reason ? h("p", { class: "reason" }, t.reason) : null)),
    h("dl", { class: "facts" }, fields.filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  ];
  if (t.error) {
    body.push(h("details", { class: "error-detail" }, h("summary", {}, "Full error"),
      h("p", { class: "error" }, t.error_class ? `${t.error_class}: ${t.error}` : t.error)));
  }
  if (t.file_present === false) body.push(h("p", { class: "error" }, "The file is gone from the library: 'spotsyncd doctor --repair' fetches it again."));
  const actions = h("div", { class: "row" });
  if (t.audio_url && t.file_present !== false) {
    actions.append(h("button", { type: "button", id: "play-track", onclick: () => play([t]) }, "▶ Play"),
      h("a", { class: "button secondary", href: withTicket(t.audio_url, ticket), download: (t.path || "").split("/").pop() }, "Download"));
  }
  if (t.state === "failed" || t.state === "pending" || t.state === "waiting") {
    actions.append(h("button", { type: "button", class: "secondary", onclick: () => act(`/tracks/${enc(t.key)}/retry`, {}) }, "Retry now"));
  }
  body.push(actions);
  if (t.candidates && t.candidates.length) {
    body.push(h("h2", {}, "Match candidates"));
    body.push(h("ul", { class: "candidates" }, t.candidates.map((c) => h("li", {},
      h("span", { class: "score" }, Number(c.score).toFixed(2)),
      h("span", {}, `${(c.artists || []).join(", ") || c.channel || "?"} – ${c.title}`),
      c.reasons ? h("span", { class: "muted" }, c.reasons) : null,
      h("button", { type: "button", class: "secondary", onclick: () => act(`/tracks/${enc(t.key)}/match`, { url: c.url }) }, "Use this")))));
  }
  if (t.items && t.items.length) {
    body.push(h("h2", {}, `Items (${t.items.length})`));
    body.push(h("ul", { class: "tracks" }, t.items.slice(0, 200).map((c) => h("li", {},
      h("span", { class: `state ${c.state}` }, c.state), h("a", { class: "name", href: `/track/${enc(c.key)}` }, fmt.name(c))))));
  }
  body.push(h("h2", {}, "History"));
  body.push(h("ul", { class: "history" }, t.events.slice().reverse().map((e) =>
    h("li", {}, when(e.ts), ` ${e.kind}: ${e.message}`))));
  return body;
}

export function after() {
  const heading = document.getElementById("track-title");
  if (heading) { heading.focus({ preventScroll: true }); heading.scrollIntoView({ block: "start" }); }
}

async function act(path, payload) {
  try { const data = await api("POST", path, payload); notice(data.message, "ok"); } catch (err) { notice(err.message, "error"); }
  window.dispatchEvent(new PopStateEvent("popstate"));
}

let timer = null;
export function onEvent(event) {
  if (event.key && event.key === openKey && event.type !== "progress") {
    clearTimeout(timer);
    timer = setTimeout(() => window.dispatchEvent(new PopStateEvent("popstate")), 300);
  }
}
