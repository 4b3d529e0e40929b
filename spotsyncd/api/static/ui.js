// Small helpers every page uses: building elements, readable times and sizes, names for tracks.
"use strict";

export const $ = (id) => document.getElementById(id);
export const enc = encodeURIComponent;

export function h(tag, attrs, ...children) {
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

// "1 track", "2 tracks" (the page's counterpart of core/wording.py's counted()).
export function counted(n, noun, plural) { return `${n} ${n === 1 ? noun : (plural || noun + "s")}`; }

export const fmt = {
  // "3 min ago", "in 2 h": the exact time goes in the title (see when()).
  ago(ts) {
    if (!ts) return "never";
    const s = Math.round(Date.now() / 1000 - ts);
    const abs = Math.abs(s), future = s < 0;
    const text = abs < 45 ? "a few seconds" : abs < 5400 ? `${Math.max(1, Math.round(abs / 60))} min`
      : abs < 129600 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} days`;
    return future ? `in ${text}` : `${text} ago`;
  },
  exact(ts) { return ts ? new Date(ts * 1000).toLocaleString() : ""; },
  bytes(n) {
    if (n === null || n === undefined) return "?";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  },
  duration(s) {
    if (!s && s !== 0) return "";
    const m = Math.floor(s / 60), r = Math.round(s % 60);
    return `${m}:${String(r).padStart(2, "0")}`;
  },
  every(s) {
    if (s % 86400 === 0) return `${s / 86400}d`;
    if (s % 3600 === 0) return `${s / 3600}h`;
    return `${Math.round(s / 60)}m`;
  },
  // What to call a track: the API's label (title, else what was typed, else host and file).
  name(t) { return t.label || [t.artist, t.title].filter(Boolean).join(" – ") || t.key; },
};

// A relative time that shows the exact one on hover (and to screen readers through datetime).
export function when(ts, prefix) {
  if (!ts) return h("span", {}, `${prefix || ""}never`);
  return h("time", { datetime: new Date(ts * 1000).toISOString(), title: fmt.exact(ts) },
    `${prefix || ""}${fmt.ago(ts)}`);
}

// What the state badge says: the ledger's state as it is, so rows agree with the counts.
export function badge(state) {
  return h("span", { class: `state ${state}` }, state);
}

export function notice(text, kind) {
  const el = $("notice");
  el.textContent = text;
  el.className = kind || "";
  el.hidden = !text;
  if (text) setTimeout(() => { if (el.textContent === text) el.hidden = true; }, 8000);
}

export function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}

export function section(title, ...children) {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

// Move to another page of the dashboard without a reload (app.js draws it on popstate).
export function navigate(url) {
  history.pushState(null, "", url);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
