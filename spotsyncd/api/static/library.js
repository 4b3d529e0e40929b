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
    if (view === "albums") content = await paged(`/library/albums?${query}`, "albums", albumGrid, (a) => albumItem(a, t));
    else if (view === "artists") content = await paged(`/library/artists?${query}`, "artists", artistList, (a) => artistItem(a, params, t));
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

// A list read a page at a time (PAGE at once: the API's pages). The next page comes when the
// end of the list scrolls near (an IntersectionObserver on the button) or when "Show more" is
// pressed; the button then hands focus to the first new entry, and a polite status line says
// how many are shown. Search and sort draw the page afresh, so they start again at the top.
const PAGE = 120;

async function paged(path, noun, list, item) {
  const first = await api("GET", `${path}&limit=${PAGE}`);
  const ul = list(first.items.map(item));
  if (!first.items.length) return ul;
  let next = first.next_offset, shown = first.items.length, loading = false, focusNew = false;
  const status = h("p", { class: "muted", role: "status", id: "library-shown" });
  const more = h("button", { type: "button", class: "secondary", id: "library-more" }, `Show more ${noun}`);
  const near = (seen) => { if (seen.some((e) => e.isIntersecting)) load(false); };
  const watch = "IntersectionObserver" in window ? new IntersectionObserver(near, { rootMargin: "0px 0px 600px 0px" }) : null;
  const settle = () => {
    status.textContent = next === null ? `All ${shown} ${noun} shown.` : `${shown} ${noun} shown.`;
    more.hidden = next === null;
    if (!watch) return;
    watch.disconnect(); // observing again reports where the button is now: still near, load on
    if (next !== null && more.isConnected) watch.observe(more);
  };
  async function load(focus) {
    focusNew ||= focus;
    if (loading || next === null) return;
    if (!more.isConnected) { watch?.disconnect(); return; } // another page is drawn
    loading = true; // (the button stays enabled: disabling it would drop the keyboard's focus)
    try {
      const page = await api("GET", `${path}&limit=${PAGE}&offset=${next}`);
      const items = page.items.map(item);
      ul.append(...items);
      shown += items.length;
      next = page.next_offset;
      if (focusNew && items.length) items[0].querySelector("a").focus();
      settle();
    } catch (err) {
      watch?.disconnect(); // the button stays for another try
      status.textContent = `Could not load more ${noun}: ${err.message}`;
    } finally {
      loading = false;
      focusNew = false;
    }
  }
  more.addEventListener("click", () => load(true));
  settle();
  if (watch && next !== null) requestAnimationFrame(() => { if (more.isConnected) watch.observe(more); });
  return [ul, h("div", { class: "more-row" }, more, status)];
}

function albumGrid(items) {
  if (!items.length) return h("p", { class: "muted" }, "No albums yet: filed tracks show here.");
  return h("ul", { class: "grid", id: "albums" }, items);
}

function albumItem(a, t) {
  return h("li", { dataset: { album: a.album } },
    h("a", { href: `/library/album/${enc(a.id)}` },
      cover(a.cover_url, t, ""),
      h("span", { class: "album-title" }, a.album || "Singles"),
      h("span", { class: "muted" }, a.artist || "Unknown artist")));
}

function artistList(items) {
  if (!items.length) return h("p", { class: "muted" }, "No artists yet.");
  return h("ul", { class: "artists", id: "artists" }, items);
}

function artistItem(a, params, t) {
  return h("li", {},
    h("a", { href: link(new URLSearchParams(), { view: "tracks", artist: a.artist || "", sort: "album" }) },
      cover(a.cover_url, t, ""),
      h("span", {}, h("b", {}, a.artist || "Unknown artist"), h("span", { class: "muted" }, ` ${counted(a.albums, "album")} · ${counted(a.tracks, "track")}`))));
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
