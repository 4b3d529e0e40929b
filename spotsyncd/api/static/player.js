// One player for the whole page: it lives outside the views, so it keeps playing while you move
// between pages (the page never reloads). The lock screen gets its controls through the Media
// Session API where the browser has it.
"use strict";

import { freshTicket, withTicket } from "/static/api.js";
import { $, fmt } from "/static/ui.js";

let queue = [];
let index = -1;

export async function play(tracks, start) {
  queue = tracks.filter((t) => t.audio_url);
  index = Math.max(0, queue.findIndex((t) => t.key === (start || queue[0] || {}).key));
  await load();
}

async function load() {
  const track = queue[index];
  if (!track) return;
  const t = await freshTicket();
  const audio = $("player");
  audio.src = withTicket(track.audio_url, t);
  $("player-bar").hidden = false;
  $("now-title").textContent = fmt.name(track);
  $("now-title").title = fmt.name(track);
  const cover = $("now-cover");
  cover.src = track.cover_url ? withTicket(`${track.cover_url}?placeholder=true`, t) : "/static/icon.svg";
  $("prev").disabled = index <= 0;
  $("next").disabled = index >= queue.length - 1;
  try { await audio.play(); } catch (e) { /* autoplay refused: the controls are there */ }
  if ("mediaSession" in navigator) {
    navigator.mediaSession.metadata = new MediaMetadata({
      title: track.title || fmt.name(track),
      artist: track.artist || "",
      album: track.album || "",
      artwork: track.cover_url ? [{ src: cover.src, sizes: "300x300", type: "image/jpeg" }] : [],
    });
  }
}

function step(by) {
  if (index + by < 0 || index + by >= queue.length) return;
  index += by;
  load();
}

export function playing() {
  const audio = $("player");
  return queue[index] && !audio.paused ? queue[index] : null;
}

export function setupPlayer() {
  $("prev").addEventListener("click", () => step(-1));
  $("next").addEventListener("click", () => step(1));
  $("player").addEventListener("ended", () => step(1));
  if ("mediaSession" in navigator) {
    const audio = $("player");
    navigator.mediaSession.setActionHandler("play", () => audio.play());
    navigator.mediaSession.setActionHandler("pause", () => audio.pause());
    navigator.mediaSession.setActionHandler("previoustrack", () => step(-1));
    navigator.mediaSession.setActionHandler("nexttrack", () => step(1));
  }
}
