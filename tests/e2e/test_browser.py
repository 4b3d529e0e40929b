"""A real browser (Debian's chromium, driven by Playwright) on the dashboard of a running daemon:
log in with the link, paste two links, watch both bars reach done, open a track, play it.

Screenshots go to ``$SPOTSYNCD_TEST_OUTPUT`` or ``<tmp>/test-output``. Without chromium these
tests skip with the reason; with ``CI=true`` a missing browser fails (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.e2e.test_web import web_env, web_url
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(240)

CHROMIUM = os.environ.get("SPOTSYNCD_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
]


def machine_network_changed(text: str) -> bool:
    """Chromium aborts requests in flight when an interface of the machine changes (another
    test starting a container): the page asks again (api.js), so that is not the page's error."""
    return "net::ERR_NETWORK_CHANGED" in text


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def output(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SPOTSYNCD_TEST_OUTPUT") or tmp_path / "test-output")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


def test_dashboard_in_a_real_browser(
    env: Env, audio_server: LoopbackServer, browser: object, output: Path
) -> None:
    web_env(env)
    links = [audio_server.url("/mp3/tone.mp3"), audio_server.url("/ogg/tone.ogg")]
    with Daemon(env) as daemon:
        daemon.wait_ready()
        web_url(env, daemon)
        login = env.cli("web", "--no-browser", check=True).stdout.strip()
        assert "/login?code=" in login
        context = browser.new_context(viewport={"width": 1100, "height": 1000})  # type: ignore[attr-defined]
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and not machine_network_changed(m.text) else None)  # fmt: skip
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else 0
        )

        from playwright.sync_api import expect

        page.goto(login)
        page.wait_for_selector("#live.on", timeout=30_000)  # logged in, the stream is open
        # The session is kept by this origin only: a cookie would go to every port of the host.
        assert context.cookies() == []
        stored = [i["name"] for o in context.storage_state()["origins"] for i in o["localStorage"]]
        assert stored == ["spotsyncd.session"]

        page.fill("#links", "\n".join([*links, "file:///etc/passwd"]))
        page.click("#add-button")
        page.wait_for_selector("#add-results li.refused", timeout=15_000)
        assert page.locator("#add-results li.queued").count() == 2
        # (the page's CSP forbids eval, so waits use selectors, not wait_for_function)
        expect(page.locator(".job[data-state=done]")).to_have_count(2, timeout=120_000)
        bars = page.locator(".job[data-state=done] progress")
        assert [bars.nth(i).get_attribute("value") for i in range(2)] == ["100", "100"]
        page.wait_for_selector("#tracks li[data-key]", timeout=15_000)
        page.screenshot(path=str(output / "dashboard.png"), full_page=True)

        key = page.locator(".job[data-state=done]").first.get_attribute("data-key")
        page.click(f"#tracks li[data-key='{key}'] a.name")
        page.wait_for_selector("#play-track", timeout=15_000)
        page.click("#play-track")
        player = page.locator("#player")
        wait_for(lambda: player.evaluate("audio => audio.currentTime") > 0.3, 30, daemon,
                 what="the audio to play")  # fmt: skip
        assert page.locator(".history li").count() >= 3
        page.screenshot(path=str(output / "track.png"), full_page=True)

        phone = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            storage_state=context.storage_state(),
        ).new_page()
        phone.goto(web_url(env, daemon) + "/")
        phone.wait_for_selector("#live.on", timeout=30_000)
        phone.wait_for_selector(".chip[data-state=done]")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page is {width}px wide on a 390px phone"
        phone.screenshot(path=str(output / "phone.png"), full_page=True)
        context.close()
        daemon.stop()
    assert not errors, errors
    if os.environ.get("SPOTSYNCD_UPDATE_SCREENSHOT"):
        docs = Path(__file__).resolve().parents[2] / "docs"
        docs.mkdir(exist_ok=True)
        shutil.copy(output / "track.png", docs / "dashboard.png")


def test_a_used_login_link_does_not_log_in(env: Env, browser: object) -> None:
    web_env(env)
    with Daemon(env) as daemon:
        daemon.wait_ready()
        web_url(env, daemon)
        login = env.cli("web", "--no-browser", check=True).stdout.strip()
        first = browser.new_context().new_page()  # type: ignore[attr-defined]
        first.goto(login)
        first.wait_for_selector("#live.on", timeout=30_000)
        second = browser.new_context().new_page()  # type: ignore[attr-defined]
        response = second.goto(login)
        assert response is not None and response.status == 401
        assert "does not work" in second.content()
        daemon.stop()


def test_another_port_gets_nothing_of_the_session(env: Env, browser: object) -> None:
    """Log in, then visit a page served from another port of the same host, as another local
    user's server would: the browser sends it no cookie of ours and its script finds no session.
    Logging out ends the session: the dashboard then says how to log in again."""
    web_env(env)
    other = LoopbackServer()
    with Daemon(env) as daemon, other:
        daemon.wait_ready()
        base = web_url(env, daemon)
        login = env.cli("web", "--no-browser", check=True).stdout.strip()
        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(login)
        page.wait_for_selector("#live.on", timeout=30_000)
        other.add("/", b"<!doctype html><title>other</title><p>another server", "text/html")
        spy = context.new_page()
        spy.goto(other.url("/"))
        assert spy.evaluate("localStorage.getItem('spotsyncd.session')") is None
        assert spy.evaluate("document.cookie") == ""
        assert all("cookie" not in {k.lower() for k in headers} for _, _, headers in other.requests)
        page.click("#logout")
        page.wait_for_selector("#logout[hidden]", state="attached", timeout=10_000)
        page.goto(base + "/")
        page.wait_for_selector("#daemon:has-text('signed out')", timeout=10_000)
        context.close()
        daemon.stop()


def test_a_playlist_file_is_imported_from_the_dashboard(
    env: Env, audio_server: LoopbackServer, browser: object, tmp_path: Path
) -> None:
    """ "Import a playlist file": the browser uploads an XSPF to POST /api/v1/imports; the page
    says what was queued per playlist, the tracks are filed and the playlist's .m3u8 written."""
    web_env(env)
    mp3, ogg = audio_server.url("/mp3/tone.mp3"), audio_server.url("/ogg/tone.ogg")
    upload = tmp_path / "Kitchen radio.xspf"
    upload.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" '
        'xmlns="http://xspf.org/ns/0/"><title>Kitchen radio</title><trackList>'
        f"<track><location>{mp3}</location></track><track><location>{ogg}</location></track>"
        "<track><location>file:///home/me/secret.flac</location></track>"
        "</trackList></playlist>",
        encoding="utf-8",
    )
    with Daemon(env) as daemon:
        daemon.wait_ready()
        web_url(env, daemon)
        login = env.cli("web", "--no-browser", check=True).stdout.strip()
        context = browser.new_context(viewport={"width": 1100, "height": 1000})  # type: ignore[attr-defined]
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(login)
        page.wait_for_selector("#live.on", timeout=30_000)
        page.set_input_files("#import-file", str(upload))
        page.click("#import-button")
        page.wait_for_selector("#import-results li.queued", timeout=30_000)
        summary = page.locator("#import-results li.queued").inner_text()
        assert "XSPF playlist" in summary and "2 queued" in summary and "1 refused" in summary
        assert "Kitchen radio: 2 tracks" in page.locator("#import-results").inner_text()
        playlist = env.library / "Playlists" / "Kitchen radio.m3u8"
        wait_for(
            lambda: playlist.exists() and playlist.read_text("utf-8").count("#EXTINF") == 2,
            120,
            daemon,
            what="both tracks filed and the playlist written",
        )
        page.wait_for_selector("#collections li[data-name='Kitchen radio'] progress[value='2']",
                               timeout=30_000)  # fmt: skip
        assert "2 of 2 filed" in page.locator("#collections").inner_text()
        context.close()
        daemon.stop()
    assert not errors, errors
    assert (env.inbox / "processed" / "Kitchen radio.xspf").exists()
