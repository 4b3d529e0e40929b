"""The dashboard as a person uses it, in a real browser (Debian's chromium through Playwright)
on a real daemon with four filed songs (covers embedded): pages by URL and by tab with the back
button, the library searched and sorted, an album played while moving to another page, a feed
followed and its page, retry all failed, the health page when a loopback source goes away,
readable rows (issue 21: one short reason, counts that agree, no "(null)", newest first, what
was typed instead of keys, the detail in view), axe-core on every page in both themes,
screenshots of every page at 1280×800 and 390×844, and (on a second daemon with 251 albums)
albums and artists a page at a time on a phone: by scrolling and by "Show more".

Screenshots go to ``$SPOTSYNCD_TEST_OUTPUT`` or a temp ``test-output`` folder;
``SPOTSYNCD_UPDATE_SCREENSHOT=1`` copies the library, activity and phone views to docs/."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.dashboard_world import SONGS, World, dashboard_world, shelf_albums, shelf_world
from tests.e2e.harness import wait_for
from tests.e2e.test_browser import ARGS, CHROMIUM, machine_network_changed
from tests.support import waiting

pytestmark = pytest.mark.timeout(420)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Radio</title>
<link>http://127.0.0.1/</link><description>a feed</description>
<item><title>Episode One</title><guid>ep-1</guid><enclosure url="{url}" type="audio/mp4"
 length="1000"/></item></channel></rss>"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with dashboard_world(tmp_path_factory.mktemp("dashboard")) as made:
        yield made


@pytest.fixture(scope="module")
def browser(world: World) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module")
def login(world: World, browser: Any) -> dict[str, Any]:
    """A logged-in browser's storage (the session in this origin's localStorage)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(world.login_link())
    page.wait_for_selector("#live.on", timeout=30_000)
    state: dict[str, Any] = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("SPOTSYNCD_TEST_OUTPUT") or tmp_path_factory.mktemp("test-output"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


class Tab:
    """A page of a fresh browser context, with what went wrong on it collected."""

    def __init__(self, browser: Any, login: dict[str, Any], world: World, **options: Any) -> None:
        self.world = world
        options.setdefault("viewport", DESKTOP)
        self.context = browser.new_context(storage_state=login, **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     and not machine_network_changed(m.text) else 0)  # fmt: skip
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                     if r.status >= 400 else 0)  # fmt: skip
        self.page.on("dialog", lambda dialog: dialog.accept())

    def open(self, path: str, ready: str = "#view[aria-busy=false]") -> Any:
        self.page.goto(self.world.url + path)
        self.page.wait_for_selector(ready, timeout=30_000)
        return self.page

    def path(self) -> str:
        return str(self.page.evaluate("location.pathname + location.search"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, login: dict[str, Any], world: Any) -> Iterator[Tab]:
    made = Tab(browser, login, world)
    yield made
    made.close()
    assert not made.errors, made.errors


def _api(world: World, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, f"{world.url}/api/v1{path}", headers=world.auth, timeout=30,
                           **kwargs)  # fmt: skip
    assert answer.status_code < 300, answer.text
    return answer.json()


def _texts(page: Any, selector: str) -> list[str]:
    return [str(t).strip() for t in page.locator(selector).all_inner_texts()]


def test_pages_by_url_by_tab_and_the_back_button(tab: Tab) -> None:
    page = tab.open("/", "#tracks li[data-key]")
    assert tab.path() == "/activity"  # the root opens Activity
    page.click("#tabs a[data-tab=library]")
    page.wait_for_selector("#albums li")
    assert tab.path() == "/library" and page.title() == "Library: Albums · spotsyncd"
    assert page.get_attribute("#tabs a[data-tab=library]", "aria-current") == "page"
    page.click("#tabs a[data-tab=health]")
    page.wait_for_selector("#h-sources")
    page.click("#tabs a[data-tab=settings]")
    page.wait_for_selector("#settings tbody tr")
    page.go_back()
    page.wait_for_selector("#h-sources")
    assert tab.path() == "/health"
    page.go_back()
    page.wait_for_selector("#albums li")
    assert tab.path() == "/library"
    page.go_forward()
    page.wait_for_selector("#h-sources")
    # A shared link opens its page directly.
    page = tab.open("/library?view=tracks&sort=title", "#library-tracks li")
    assert page.locator("#library-sort").input_value() == "title"
    page = tab.open("/follows", "#view[aria-busy=false] h1")
    assert page.locator("h1").inner_text() == "Follows"
    page = tab.open("/settings", "#settings tbody tr")
    origins = dict(zip(_texts(page, "#settings tbody th"), _texts(page, "#settings tbody td.muted"),
                       strict=True))  # fmt: skip
    assert origins["network.check_urls"].startswith("config file, line ")
    assert str(tab.world.env.config_path) in page.inner_text("#view p")
    assert origins["audio.format"] == "default"


def test_the_keyboard_reaches_and_opens_every_tab(tab: Tab) -> None:
    page = tab.open("/activity", "#tracks li[data-key]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the page"
    for name in ("library", "follows", "health", "settings"):
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.dataset.tab || ''") == name:
                break
        else:
            raise AssertionError(f"Tab never reached the {name} tab")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#tabs a[data-tab={name}][aria-current=page]")
        assert tab.path() == f"/{name}"
        page.focus("#tabs a[data-tab=activity]")  # from the tabs again
    # Enter on a track opens it; its heading takes the focus, so reading starts there.
    page = tab.open("/library?view=tracks", "#library-tracks li")
    page.focus("#library-tracks .name >> nth=0")
    page.keyboard.press("Enter")
    page.wait_for_selector("#track-title")
    assert page.evaluate("document.activeElement.id") == "track-title"


def test_library_search_sort_open_an_album_and_play_across_pages(tab: Tab) -> None:
    page = tab.open("/library", "#albums li")
    albums = _texts(page, "#albums .album-title")
    assert albums == ["Estuary", "Night Drive", "Paper Sky"]
    covers = page.locator("#albums img")
    wait_for(lambda: all(covers.nth(i).evaluate("i => i.complete && i.naturalWidth > 0")
                         for i in range(3)), 20, what="the covers to load")  # fmt: skip
    page.fill("#library-q", "night")
    page.wait_for_selector("#albums li >> nth=0")
    wait_for(lambda: _texts(page, "#albums .album-title") == ["Night Drive"], 10,
             what="the search to narrow the albums")  # fmt: skip
    assert "q=night" in tab.path()
    page.goto(tab.world.url + "/library?view=tracks")
    page.wait_for_selector("#library-tracks li")
    page.select_option("#library-sort", "title")
    page.wait_for_selector("#library-sort >> nth=0")
    titles = sorted(title for _, title, _, _ in SONGS)
    wait_for(lambda: _texts(page, "#library-tracks .name") == titles, 10, what="sorted by title")
    page.select_option("#library-order", "desc")
    wait_for(lambda: _texts(page, "#library-tracks .name") == titles[::-1], 10,
             what="sorted by title, Z to A")  # fmt: skip
    page.select_option("#library-sort", "artist")
    wait_for(lambda: _texts(page, "#library-tracks .artist")[0] == "June Vale", 10,
             what="sorted by artist")  # fmt: skip
    page.click(".subtabs a:has-text('Albums')")
    page.click("#albums a:has-text('Night Drive')")
    page.wait_for_selector("#play-album")
    assert tab.path().startswith("/library/album/")
    assert _texts(page, "#library-tracks .name") == ["First Light", "Second Wind"]
    page.click("#play-album")
    player = page.locator("#player")
    wait_for(lambda: player.evaluate("a => a.currentTime") > 0.5, 30, what="the album to play")
    assert page.locator("#now-title").inner_text() == "Neon Coast – First Light"
    assert page.evaluate("navigator.mediaSession.metadata.title") == "First Light"
    page.click("#tabs a[data-tab=activity]")
    page.wait_for_selector("#tracks li[data-key]")
    at = player.evaluate("a => a.currentTime")
    wait_for(lambda: player.evaluate("a => a.currentTime") > at + 0.5, 20,
             what="the audio to keep playing on another page")  # fmt: skip
    assert player.evaluate("a => !a.paused")
    page.go_back()
    page.wait_for_selector("#play-album")
    assert player.evaluate("a => !a.paused")


def test_activity_rows_read_well_and_retry_all_failed(tab: Tab) -> None:
    world = tab.world
    missing = world.media.url("/missing/Lost%20Song.m4a")
    _api(world, "POST", "/links", json={"links": [missing, "Nobody Here - No Such Song"]})
    wait_for(lambda: world.env.counts().get("failed", 0) >= 2, 90, world.daemon,
             what="both links to fail")  # fmt: skip
    page = tab.open("/activity", "#tracks li[data-state=failed]")
    # Newest first; what was typed, or the host and file, instead of the keys.
    wait_for(lambda: len(_texts(page, "#tracks .name")) >= 6, 10, what="every row")
    names = _texts(page, "#tracks .name")
    assert names[:2] == ["Nobody Here - No Such Song", "127.0.0.1 · Lost Song.m4a"], names
    assert not any(name.startswith(("search:", "url:")) for name in names)
    reasons = _texts(page, "#tracks li[data-state=failed] .reason")
    assert len(reasons) == 2 and all(0 < len(r) <= 90 for r in reasons), reasons
    assert "(null)" not in page.inner_text("body")
    # Times read "… ago"; the exact time is on hover.
    first_time = page.locator("#tracks li[data-key] time").first
    assert first_time.inner_text().endswith("ago") and first_time.get_attribute("title")
    # The counts agree with the rows: each chip filters to exactly its number of rows.
    wait_for(lambda: page.locator("#counts .chip[data-state=failed] b").inner_text() == "2", 10,
             what="the failed count")  # fmt: skip
    for state in ("done", "failed"):
        count = int(page.locator(f"#counts .chip[data-state={state}] b").inner_text())
        page.click(f"#counts .chip[data-state={state}]")
        wait_for(lambda s=state, n=count: page.locator(f"#tracks li[data-state={s}]").count() == n
                 and page.locator("#tracks li[data-key]").count() == n, 10,
                 what=f"{count} {state} rows")  # fmt: skip
        page.click(f"#counts .chip[data-state={state}]")  # and off again
    # A track's detail opens in view, at the top of the page, with the full error.
    page.click("#tracks a:has-text('Lost Song.m4a')")
    page.wait_for_selector("#track-title")
    assert tab.path().startswith("/track/")
    box = page.locator("#track-title").bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP["height"] / 2
    assert "(null)" not in page.inner_text("body")
    page.click("details.error-detail summary")
    assert "404" in page.inner_text("details.error-detail")
    page.go_back()
    page.wait_for_selector("#retry-failed")
    page.click("#retry-failed")
    page.wait_for_selector("#notice:has-text('2 tracks queued again')")
    wait_for(lambda: page.locator("#log li b:has-text('requeued')").count() >= 2, 15,
             what="the log to show the retries")  # fmt: skip
    wait_for(lambda: world.env.counts().get("failed", 0) >= 2, 90, world.daemon,
             what="both to fail again")  # fmt: skip

    # Their jobs end failed under "Now"; "clear finished" takes them from the view.
    def all_failed() -> bool:
        jobs = page.locator(".job").count()
        return jobs > 0 and page.locator(".job[data-state=failed]").count() == jobs

    waiting.wait_for(all_failed, 60, what="the jobs under 'Now' to end failed",
                     details=lambda: page.inner_html("#jobs"))  # fmt: skip
    page.click("#clear-finished")
    assert page.locator(".job").count() == 0 and page.is_visible("#jobs-empty")


def test_follow_a_feed_and_see_its_page(tab: Tab) -> None:
    world = tab.world
    episode = world.media.url("/song0.m4a")
    world.media.add("/radio.xml", FEED.format(url=episode).encode(), "application/rss+xml")
    page = tab.open("/follows", "#follow-form")
    page.fill("#follow-url", world.media.url("/radio.xml"))
    page.fill("#follow-every", "1h")
    page.fill("#follow-name", "radio")
    page.click("#follow-form button[type=submit]")
    page.wait_for_selector("#sync-now")
    assert tab.path() == "/follows/radio"
    page.wait_for_selector(".tracks li[data-state=done]", timeout=90_000)
    # The episode's own title and show, not its file's name
    row = page.inner_text(".tracks li[data-state=done]")
    assert "Loopback Radio – Episode One" in row and "song0" not in row
    assert "1h" in page.inner_text(".facts")
    page.fill("#interval", "2h")
    page.click("#interval-form button")
    page.wait_for_selector(".facts dd:has-text('2h')")
    page.click("#sync-now")
    page.wait_for_selector("#notice:has-text('polling radio now')")
    m3u8 = page.get_attribute("a:has-text('Playlist file')", "href")
    assert m3u8 is not None
    listed = httpx.get(world.url + m3u8, timeout=10)
    assert listed.status_code == 200 and "#EXTINF" in listed.text and "Episode One" in listed.text
    page.click("#tabs a[data-tab=follows]")
    page.wait_for_selector("#follows li[data-name=radio]")
    page.click("#follows a:has-text('Loopback Radio')")
    page.wait_for_selector("#unfollow")
    page.click("#unfollow")
    page.wait_for_selector("#follow-form")
    assert tab.path() == "/follows" and page.locator("#follows li").count() == 0


def test_health_shows_each_part_once_and_readably(tab: Tab) -> None:
    """The source health table, yt-dlp and the budgets each have their own card: no second raw
    dump of the same data (epoch seconds, JSON) under headings such as "yt dlp" or "sources"."""
    page = tab.open("/health", "#h-sources")
    page.wait_for_selector("#h-source-health")
    headings = [t.lower() for t in _texts(page, "#view h2")]
    assert len(headings) == len(set(headings)), headings
    assert "yt dlp" not in headings and "budgets" not in headings, headings
    budgets = page.inner_text("#budgets-list")
    assert "youtube" in budgets and "at once" in budgets and "{" not in budgets
    text = page.inner_text("#view")
    assert not re.search(r"\b1[0-9]{9}\.[0-9]", text), "epoch seconds shown"


def test_health_changes_when_a_loopback_source_goes_away(tab: Tab) -> None:
    world = tab.world
    page = tab.open("/health", "#circuits-ok")
    world.source.go_offline()
    try:
        gone = world.source.url("/song.m4a")
        _api(world, "POST", "/links", json={"links": [gone]})

        def offline_shown() -> bool:
            page.reload()
            page.wait_for_selector("#view[aria-busy=false] #h-sources")
            return page.locator("#circuits-list li[data-lane=offline][data-open=true]").count() == 1

        wait_for(offline_shown, 60, world.daemon, what="the health page to show the outage")
        assert "offline since" in page.inner_text("#circuits-list")
        # The waiting track reads well on Activity: its state, one short reason, the counts.
        page = tab.open("/activity", "#tracks li[data-key]")
        page.select_option("#state-filter", "pending")
        row = page.locator("#tracks li[data-state=pending]").first
        row.wait_for()
        assert row.locator(".state").inner_text().lower() == "pending"
        reason = row.locator(".reason").inner_text()
        assert 0 < len(reason) <= 90 and "(null)" not in reason
        count = int(page.locator("#counts .chip[data-state=pending] b").inner_text())
        assert page.locator("#tracks li[data-state=pending]").count() == count
    finally:
        world.source.go_online()

    def back() -> bool:
        page.goto(world.url + "/health")
        page.wait_for_selector("#view[aria-busy=false] #h-sources")
        return page.locator("#circuits-ok").count() == 1

    wait_for(back, 60, world.daemon, what="the health page to show the sources working again")


PAGES = [
    ("activity", "/activity", "#tracks li[data-key]"),
    ("library", "/library", "#albums li"),
    ("artists", "/library?view=artists", "#artists li"),
    ("tracks", "/library?view=tracks", "#library-tracks li"),
    ("album", None, "#play-album"),
    ("track", None, "#track-title"),
    ("follows", "/follows", "#follows li"),
    ("follow", "/follows/mix", "#sync-now"),
    ("health", "/health", "#h-sources"),
    ("settings", "/settings", "#settings tbody tr"),
]


def _pages(world: World) -> list[tuple[str, str, str]]:
    albums = _api(world, "GET", "/library/albums")["items"]
    key = _api(world, "GET", "/library/tracks")["items"][0]["key"]
    from urllib.parse import quote

    album = max(albums, key=lambda a: (a["tracks"], a["album"]))
    extra = {"album": f"/library/album/{album['id']}", "track": f"/track/{quote(key, safe='')}"}
    return [(name, path or extra[name], ready) for name, path, ready in PAGES]


@pytest.fixture
def followed(world: World) -> Iterator[None]:
    _api(world, "POST", "/follows", json={"url": world.media.url("/mix.xml"), "name": "mix",
                                          "every": "1d"})  # fmt: skip
    yield
    _api(world, "DELETE", "/follows/mix")


def test_every_page_passes_axe_in_both_themes(
    world: World, browser: Any, login: dict[str, Any], output: Path, followed: None
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        tab = Tab(browser, login, world, color_scheme=scheme)
        for name, path, ready in _pages(world):
            page = tab.open(path, ready)
            results = axe.run(page)
            bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                   for v in results.response["violations"]
                   if v["impact"] in ("serious", "critical")]  # fmt: skip
            if bad:
                found[f"{name} ({scheme})"] = bad
            page.screenshot(path=str(output / f"{name}-{scheme}-1280x800.png"))
        tab.close()
        assert not tab.errors, tab.errors
    assert not found, found


def test_every_page_fits_a_phone(
    world: World, browser: Any, login: dict[str, Any], output: Path, followed: None
) -> None:
    for viewport, shot in ((PHONE, True), ({"width": 360, "height": 740}, False)):
        tab = Tab(browser, login, world, viewport=viewport, is_mobile=True, has_touch=True)
        for name, path, ready in _pages(world):
            page = tab.open(path, ready)
            time.sleep(0.3)  # images and late rows settle
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} is {width}px wide at {viewport['width']}"
            if shot and name == "album":  # the player, as it sits above the tabs
                page.click("#play-album")
                player = page.locator("#player")
                wait_for(lambda p=player: p.evaluate("a => a.currentTime") > 0.3, 30,
                         what="the album to play on a phone")  # fmt: skip
                assert page.evaluate("navigator.mediaSession.metadata.album") == "Night Drive"
            if shot:
                page.screenshot(path=str(output / f"{name}-phone-390x844.png"))
        # The tabs sit at the bottom, under the thumb, and the page says how to install it.
        box = page.locator("#tabs").bounding_box()
        assert box is not None and box["y"] + box["height"] >= viewport["height"] - 2
        assert page.get_attribute("meta[name=theme-color]", "content")
        manifest = page.get_attribute("link[rel=manifest]", "href")
        assert manifest and httpx.get(world.url + manifest, timeout=10).json()["icons"]
        tab.close()
        assert not tab.errors, tab.errors
    if os.environ.get("SPOTSYNCD_UPDATE_SCREENSHOT"):
        docs = Path(__file__).resolve().parents[2] / "docs"
        shots = {"library-light-1280x800": "library", "activity-light-1280x800": "activity",
                 "album-phone-390x844": "phone"}  # fmt: skip
        for shot, name in shots.items():
            if (output / f"{shot}.png").exists():  # (the theme test made the desktop ones)
                shutil.copy(output / f"{shot}.png", docs / f"dashboard-{name}.png")


PAGE = 120  # the dashboard's page of albums and artists (static/library.js)
SHELF = shelf_albums(2 * PAGE + 11, tie_at=PAGE)  # three pages, a tie across the first end


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[tuple[World, Any]]:
    """A daemon with more albums than one page, and a logged-in browser storage for it."""
    with shelf_world(tmp_path_factory.mktemp("shelf"), SHELF) as made:
        context = browser.new_context()
        page = context.new_page()
        page.goto(made.login_link())
        page.wait_for_selector("#live.on", timeout=30_000)
        state = context.storage_state()
        context.close()
        yield made, state


def _shelf_items(page: Any, selector: str) -> list[tuple[str, str]]:
    return [tuple(t.split("\n")[-2:]) for t in _texts(page, selector)]  # type: ignore[misc]


def test_albums_and_artists_come_a_page_at_a_time_on_a_phone(
    shelf: tuple[World, Any], browser: Any, output: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    world, login = shelf
    tab = Tab(browser, login, world, viewport=PHONE, is_mobile=True, has_touch=True)
    page = tab.open("/library", "#albums li")
    albums = [(album, artist) for artist, album in SHELF]
    assert _shelf_items(page, "#albums li") == albums[:PAGE]  # the first page only
    assert page.locator("#albums img[loading=lazy]").count() == PAGE
    more = page.locator("#library-more")
    assert more.is_visible() and more.inner_text() == "Show more albums"
    assert page.locator("#library-shown").inner_text() == f"{PAGE} albums shown."
    violations = [v["id"] for v in Axe().run(page).response["violations"]
                  if v["impact"] in ("serious", "critical")]  # fmt: skip
    assert not violations, violations
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Focus on "Show more" scrolls it near: the next page comes by itself, focus stays put.
    more.focus()
    wait_for(lambda: page.locator("#albums li").count() == 2 * PAGE, 20,
             what="the second page as the end of the list came near")  # fmt: skip
    assert page.evaluate("document.activeElement.id") == "library-more"
    # Enter on it brings the last page, and focus lands on the first new album.
    page.keyboard.press("Enter")
    wait_for(lambda: page.locator("#albums li").count() == len(SHELF), 20,
             what="the last page of albums")  # fmt: skip
    shown = _shelf_items(page, "#albums li")
    assert shown == albums and len(set(shown)) == len(shown)  # the tie across the boundary kept
    focused = page.evaluate("document.activeElement.closest('li').dataset.album")
    assert focused == albums[2 * PAGE][0]
    assert not more.is_visible()
    assert page.locator("#library-shown").inner_text() == f"All {len(SHELF)} albums shown."
    page.locator("#library-shown").scroll_into_view_if_needed()
    page.screenshot(path=str(output / "library-all-pages-phone-390x844.png"))
    # Sorting starts again at the first page; scrolling near the end brings the next one.
    page.select_option("#library-sort", "artist")
    wait_for(lambda: page.locator("#albums li").count() == PAGE and more.is_visible(), 20,
             what="the sorted first page")  # fmt: skip
    page.locator("#albums li").nth(PAGE - 1).scroll_into_view_if_needed()
    wait_for(lambda: page.locator("#albums li").count() == 2 * PAGE, 20,
             what="scrolling to bring the next page")  # fmt: skip
    # Still near the end, the list may fetch the last page by itself and hide the button while
    # it is being clicked: a click event, not a pointer waiting for a button that may be gone.
    more.dispatch_event("click")
    wait_for(lambda: page.locator("#albums li").count() == len(SHELF), 20, what="the last page")
    assert _shelf_items(page, "#albums li") == albums  # by artist: the same order here
    # Searching starts again too.
    page.fill("#library-q", "Album 12")
    wait_for(lambda: page.locator("#albums li").count() == 11, 20, what="the search")
    assert page.locator("#library-shown").inner_text() == "All 11 albums shown."
    # Artists: a page, then the rest as the list's end scrolls near.
    page = tab.open("/library?view=artists", "#artists li")
    assert page.locator("#artists li").count() == PAGE
    page.locator("#artists li").nth(PAGE - 1).scroll_into_view_if_needed()
    wait_for(lambda: page.locator("#artists li").count() == 2 * PAGE, 20,
             what="the next page of artists")  # fmt: skip
    page.locator("#library-more").dispatch_event("click")  # as above
    wait_for(lambda: page.locator("#artists li").count() == len(SHELF), 20,
             what="the last page of artists")  # fmt: skip
    names = _texts(page, "#artists li b")
    assert names == [artist for artist, _ in SHELF]
    tab.close()
    assert not tab.errors, tab.errors
