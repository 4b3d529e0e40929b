// The only way the page talks to the daemon: the JSON API under /api/v1, with the session in a
// header. The event stream, <audio> and <img> cannot send a header: they carry a short-lived
// ticket in their URL instead.
"use strict";

export const API = "/api/v1";
const SESSION_KEY = "spotsyncd.session";
export const session = () => localStorage.getItem(SESSION_KEY);
export function forget() { localStorage.removeItem(SESSION_KEY); }

let signedOut = () => {};
export function onSignedOut(callback) { signedOut = callback; }

// A read that fails before any answer (a phone changing networks, Wi-Fi waking up: the
// browser aborts requests in flight) is asked again twice; a write is not, it may have landed.
const RETRY_AFTER_MS = [300, 1200];
async function fetchRetrying(url, options) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, options);
    } catch (error) {
      if (options.method !== "GET" || attempt >= RETRY_AFTER_MS.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS[attempt]));
    }
  }
}

export async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "omit", cache: "no-store" };
  const current = session();
  if (current) options.headers.Authorization = `Session ${current}`;
  if (body instanceof Blob) {
    options.body = body;  // a file, sent as it is (POST /imports)
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetchRetrying(API + path, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || response.statusText;
    if (response.status === 401) signedOut();
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return data;
}

let ticket = null;
let ticketUntil = 0;
export async function freshTicket() {
  if (!ticket || Date.now() > ticketUntil) {
    const data = await api("POST", "/tickets");
    ticket = data.ticket;
    ticketUntil = Date.now() + (data.expires_in - 60) * 1000;
  }
  return ticket;
}
export const ticketExpired = () => Date.now() > ticketUntil;
export function withTicket(url, t) {
  return `${url}${url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(t || ticket || "")}`;
}

// Which optional routes this daemon has (another part may add them later), from its schema.
let paths = null;
export async function hasRoute(path) {
  if (paths === null) {
    try { paths = Object.keys((await api("GET", "/openapi.json")).paths || {}); } catch (e) { paths = []; }
  }
  return paths.includes(API + path);
}
