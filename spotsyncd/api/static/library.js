// Library: albums as a grid of covers, artists, and every filed track; search and sort; an
// album's page with its tracks. Play hands tracks to the one player (player.js).
"use strict";

import { api, freshTicket, withTicket } from "/static/api.js";
import { play } from "/static/player.js";
import { $, counted, enc, field, fmt, h, navigate, when } from "/static/ui.js";

const VIEWS = { albums: "Albums", artists: "Artists", tracks: "Tracks" };
const SORTS = {
  albums: [["album", "album"], ["artist", "artist"], ["added", "recently added"]],
  artists: [["artist", "name"]],
  tracks: [["title", "title"], ["artist", "artist"], ["album", "album"], ["added", "recently added"]],
};

export function title(album, params) {
  if (album) return "Album";
  return `Library: ${VIEWS[params.get("view")] || "Albums"}`;
}

export async function draw(album, params) {
  return album ? drawAlbum(album) : drawLibrary(params);
}

function link(params, changes) {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
  const text = next.toString();
  return `/library${text ? "?" + text : ""}`;
}

async function drawLibrary(params) {
  const view = VIEWS[params.get("view")] ? params.get("view") : "albums";
  const sorts = SORTS[view];
  const sort = sorts.some(([s]) => s === params.get("sort")) ? params.get("sort") : sorts[0][0];
  const order = params.get("order") === "desc" || (sort === "added" && !params.get("order")) ? "desc" : "asc";
  const q = params.get("q") || "";
  const artist = params.get("artist");
  const t = await freshTicket();
  const query = new URLSearchParams({ sort, order });
  if (q) query.set("q", q);
  if (artist !== null && view === "tracks") query.set("artist", artist);
  let content;
  try {
    if (view === "albums") content = albumGrid((await api("GET", `/library/albums?${query}`)).items, t);
    else if (view === "artists") content = artistList((await api("GET", `/library/artists?${query}`)).items, params, t);
    else content = trackTable((await api("GET", `/library/tracks?${query}&limit=500`)).items, t);
  } catch (err) { content = h("p", { class: "error" }, err.message); }
  const apply = (changes) => navigate(link(params, changes));
  let timer = null;
  const controls = h("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); apply({ q: $("library-q").value.trim() }); } },
    field("Search the library", h("input", { type: "search", id: "library-q", value: q, placeholder: "title, artist, album",
      oninput: () => { clearTimeout(timer); timer = setTimeout(() => apply({ q: $("library-q").value.trim() }), 400); } })),
    field("Sort by", h("select", { id: "library-sort", onchange: (e) => apply({ sort: e.target.value, order: null }) },
      sorts.map(([value, text]) => h("option", { value, selected: value === sort }, text)))),
    field("Order", h("select", { id: "library-order", onchange: (e) => apply({ order: e.target.value }) },
      h("option", { value: "asc", selected: order === "asc" }, sort === "added" ? "oldest first" : "A to Z"),
      h("option", { value: "desc", selected: order === "desc" }, sort === "added" ? "newest first" : "Z to A"))));
  const tabs = h("nav", { class: "subtabs", "aria-label": "library views" },
    Object.entries(VIEWS).map(([key, text]) => h("a", { href: link(new URLSearchParams(q ? { q } : {}), { view: key === "albums" ? null : key }),
      "aria-current": key === view ? "page" : null }, text)));
  const heading = artist !== null && view === "tracks" ? `Library: ${artist || "Unknown artist"}` : "Library";
  return [h("h1", {}, heading), tabs, controls, h("div", { id: "library" }, content)];
}

function cover(url, t, alt) {
  return h("img", { class: "cover", src: withTicket(`${url}?placeholder=true`, t), alt, loading: "lazy", width: 150, height: 150 });
}

function albumGrid(albums, t) {
  if (!albums.length) return h("p", { class: "muted" }, "No albums yet: filed tracks show here.");
  return h("ul", { class: "grid", id: "albums" }, albums.map((a) => h("li", { dataset: { album: a.album } },
    h("a", { href: `/library/album/${enc(a.id)}` },
      cover(a.cover_url, t, ""),
      h("span", { class: "album-title" }, a.album || "Singles"),
      h("span", { class: "muted" }, a.artist || "Unknown artist")))));
}

function artistList(artists, params, t) {
  if (!artists.length) return h("p", { class: "muted" }, "No artists yet.");
  return h("ul", { class: "artists", id: "artists" }, artists.map((a) => h("li", {},
    h("a", { href: link(new URLSearchParams(), { view: "tracks", artist: a.artist || "", sort: "album" }) },
      cover(a.cover_url, t, ""),
      h("span", {}, h("b", {}, a.artist || "Unknown artist"), h("span", { class: "muted" }, ` ${counted(a.albums, "album")} · ${counted(a.tracks, "track")}`))))));
}

export function trackTable(tracks, t, numbered) {
  if (!tracks.length) return h("p", { class: "muted" }, "No tracks match.");
  return h("ol", { class: `tracklist${numbered ? " numbered" : ""}`, id: "library-tracks" }, tracks.map((track) =>
    h("li", { dataset: { key: track.key } },
      h("button", { type: "button", class: "play", "aria-label": `Play ${fmt.name(track)}`, onclick: () => play(tracks, track) }, "▶"),
      h("a", { class: "name", href: `/track/${enc(track.key)}` }, track.title || fmt.name(track)),
      h("span", { class: "muted artist" }, track.artist || ""),
      h("span", { class: "muted album" }, track.album || ""),
      h("span", { class: "muted time" }, fmt.duration(track.duration_s)),
      h("a", { class: "download", href: withTicket(track.audio_url, t), download: (track.path || "").split("/").pop(),
        "aria-label": `Download ${fmt.name(track)}` }, "⤓"))));
}

async function drawAlbum(id) {
  let album;
  try { album = await api("GET", `/library/albums/${enc(id)}`); } catch (err) {
    return [h("h1", {}, "Album"), h("p", { class: "error" }, err.message), h("a", { href: "/library" }, "Back to the library")];
  }
  const t = await freshTicket();
  return [
    h("p", {}, h("a", { href: "/library" }, "← Library")),
    h("div", { class: "album-head" },
      h("img", { class: "cover big", src: withTicket(`${album.cover_url}?placeholder=true`, t), alt: `cover of ${album.album || "Singles"}`, width: 220, height: 220 }),
      h("div", {},
        h("h1", {}, album.album || "Singles"),
        h("p", {}, h("a", { href: link(new URLSearchParams(), { view: "tracks", artist: album.artist, sort: "album" }) }, album.artist || "Unknown artist")),
        h("p", { class: "muted" }, `${counted(album.tracks, "track")} · added `, when(album.added_at)),
        h("button", { type: "button", id: "play-album", onclick: () => play(album.items) }, "▶ Play album"))),
    trackTable(album.items, t, true),
  ];
}
