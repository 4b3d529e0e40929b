// spotsyncd dashboard: plain JavaScript modules, no build step, no CDN. One page whose views
// have their own URLs (the History API: back works, links can be shared); live updates come
// from one EventSource on /api/v1/events; data comes from the same JSON API scripts use.
"use strict";

import { API, api, forget, freshTicket, onSignedOut, session, ticketExpired, withTicket } from "/static/api.js";
import { setupPlayer } from "/static/player.js";
import { $, h } from "/static/ui.js";
import * as activity from "/static/activity.js";
import * as library from "/static/library.js";
import * as follows from "/static/follows.js";
import * as health from "/static/health.js";
import * as settings from "/static/settings.js";
import * as track from "/static/track.js";

// Each route: a pattern on the path, the tab it belongs to, and the view that draws it.
const ROUTES = [
  [/^\/activity$/, "activity", activity],
  [/^\/library(?:\/album\/(.+))?$/, "library", library],
  [/^\/follows(?:\/(.+))?$/, "follows", follows],
  [/^\/health$/, "health", health],
  [/^\/settings$/, "settings", settings],
  [/^\/track\/(.+)$/, "activity", track],
];

let current = null;
let drawn = 0;

export function go(url, replace) {
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  render();
}

async function render() {
  const path = location.pathname === "/" ? "/activity" : location.pathname;
  if (location.pathname === "/") history.replaceState(null, "", "/activity" + location.search);
  let found = null;
  for (const [pattern, tab, view] of ROUTES) {
    const match = path.match(pattern);
    if (match) { found = { tab, view, arg: match[1] ? decodeURIComponent(match[1]) : null }; break; }
  }
  for (const link of document.querySelectorAll("#tabs a")) {
    if (found && link.dataset.tab === found.tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const main = $("view");
  main.setAttribute("aria-busy", "true");
  const ticket = ++drawn;
  current = found ? found.view : null;
  if (!found) {
    main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No page here. ", h("a", { href: "/activity" }, "Go to Activity")));
    main.setAttribute("aria-busy", "false");
    document.title = "Not found · spotsyncd";
    return;
  }
  if (!session()) { signedOut(); return; }
  const params = new URLSearchParams(location.search);
  const content = await found.view.draw(found.arg, params);
  if (ticket !== drawn) return; // another page was asked for meanwhile
  main.replaceChildren(...[content].flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  main.setAttribute("aria-busy", "false");
  document.title = `${found.view.title(found.arg, params)} · spotsyncd`;
  window.scrollTo(0, 0);
  if (found.view.after) found.view.after();
}

// Links inside the page move without a reload (the player keeps playing); others behave.
document.addEventListener("click", (e) => {
  const link = e.target.closest("a[href]");
  if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || link.hasAttribute("download")
      || url.pathname.startsWith("/static/")) return;
  e.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener("popstate", render);

function signedOut() {
  forget();
  $("daemon").textContent = "signed out";
  $("logout").hidden = true;
  $("view").replaceChildren(h("h1", {}, "Signed out"),
    h("p", {}, "Run ", h("code", {}, "spotsyncd web"), " on the machine that runs spotsyncd: it prints a login link."));
  if (events) events.close();
}
onSignedOut(signedOut);

async function logout() {
  try { await api("POST", "/logout"); } catch (e) { /* signed out either way */ }
  signedOut();
}

// ---------------------------------------------------------------- the event stream

let events = null;
async function connect() {
  if (!session()) return;
  let t;
  try { t = await freshTicket(); } catch (e) { setTimeout(connect, 5000); return; }
  if (events) events.close();
  const source = new EventSource(withTicket(API + "/events", t));
  events = source;
  source.onopen = () => { $("live").textContent = "live"; $("live").className = "pill on"; daemonLine(); };
  source.onerror = () => {
    $("live").textContent = "reconnecting"; $("live").className = "pill off";
    if (ticketExpired()) { source.close(); setTimeout(connect, 2000); }
  };
  source.onmessage = (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch (e) { return; }
    if (current && current.onEvent) current.onEvent(data);
  };
}

async function daemonLine() {
  try {
    const data = await api("GET", "/status");
    const d = data.daemon || {};
    $("daemon").textContent = d.running ? `running${d.version ? " · " + d.version : ""}` : "daemon not running";
  } catch (e) { /* shown by the page */ }
}

// ---------------------------------------------------------------- theme

function setupTheme() {
  const saved = localStorage.getItem("spotsyncd.theme");
  if (saved) document.documentElement.dataset.theme = saved;
  $("theme").addEventListener("click", () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === "dark"
      : matchMedia("(prefers-color-scheme: dark)").matches;
    const next = dark ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("spotsyncd.theme", next);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("logout").addEventListener("click", logout);
  setupTheme();
  setupPlayer();
  render();
  if (session()) { daemonLine(); connect(); }
});
