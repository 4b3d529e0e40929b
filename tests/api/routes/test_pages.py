"""Every page of the dashboard has its own URL (the same file; its script draws the page), and
its files are served from a fixed list: the modules, the manifest and the icons of an
installable web app."""

from __future__ import annotations

import json

from tests.api.conftest import Web

PAGES = ["/", "/activity", "/library", "/library/album/WyJhIiwiYiJd", "/follows", "/follows/mix",
         "/health", "/settings", "/track/search%3Adaft%20punk%20-%20x"]  # fmt: skip


def test_each_page_is_the_dashboard(web: Web) -> None:
    index = web.anonymous.get("/").text
    for path in PAGES:
        answer = web.anonymous.get(path)
        assert answer.status_code == 200 and answer.text == index, path
    assert web.anonymous.get("/nope").status_code == 404
    assert 'rel="manifest"' in index and 'name="theme-color"' in index


def test_the_manifest_icons_and_modules_are_served(web: Web) -> None:
    manifest = web.anonymous.get("/static/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    icons = json.loads(manifest.text)["icons"]
    for icon in icons:
        answer = web.anonymous.get(icon["src"])
        assert answer.status_code == 200 and answer.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":  # the PNG's own header says its size
            width = int.from_bytes(answer.content[16:20], "big")
            assert f"{width}x{width}" == icon["sizes"]
    for name in ("app.js", "library.js", "player.js", "activity.js"):
        answer = web.anonymous.get(f"/static/{name}")
        assert answer.status_code == 200 and "javascript" in answer.headers["content-type"]
    assert web.anonymous.get("/static/../app.py").status_code == 404
