"""YouTube's set-up checks: the cookies file's login dates (files written with the dates each
test sets) and the PO-token provider, asked over loopback like the plugin asks it (GET /ping)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.config import Config, load_config
from spotsyncd.engine.health.status import status_data
from spotsyncd.engine.health.youtube import cookie_checks, pot_provider_check
from spotsyncd.ledger import Ledger
from tests.fakes.http_server import LoopbackServer
from tests.sources.ytdlp.test_cookies import SECRET, cookie_file

DAY = 86400.0


def config_with(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    env = {"SPOTSYNCD_STATE_DIR": str(tmp_path / "state"),
           "SPOTSYNCD_LIBRARY_DIR": str(tmp_path / "lib")}  # fmt: skip
    config = load_config(None, env=env)
    update = {
        name: getattr(config, name).model_copy(update=values) for name, values in sections.items()
    }
    return config.model_copy(update=update)


def test_cookies_about_to_expire_warn_with_what_to_do(tmp_path: Path) -> None:
    path = cookie_file(tmp_path / "cookies.txt", time.time() + 3 * DAY)
    path.chmod(0o600)
    config = config_with(tmp_path, download={"cookies_file": path})
    [check] = cookie_checks(config)
    assert (check.name, check.status) == ("cookies", "warn")
    assert "expire on" in check.detail and "(in 2 days)" in check.detail
    assert check.fix.startswith("export fresh cookies.txt") and SECRET not in str(check)


def test_expired_cookies_and_a_bad_file_fail(tmp_path: Path) -> None:
    path = cookie_file(tmp_path / "cookies.txt", time.time() - DAY)
    path.chmod(0o600)
    [expired] = cookie_checks(config_with(tmp_path, download={"cookies_file": path}))
    assert expired.status == "fail" and "expired on" in expired.detail
    path.write_text("SID=abc; HSID=def\n")
    [bad] = cookie_checks(config_with(tmp_path, download={"cookies_file": path}))
    assert bad.status == "fail" and "is not a Netscape cookies.txt" in bad.detail


def test_good_cookies_readable_by_others_warn(tmp_path: Path) -> None:
    path = cookie_file(tmp_path / "cookies.txt", time.time() + 90 * DAY)
    path.chmod(0o644)
    perms, verdict = cookie_checks(config_with(tmp_path, download={"cookies_file": path}))
    assert perms.status == "warn" and perms.fix == f"chmod 600 {path}"
    assert verdict.status == "ok" and "valid until" in verdict.detail


def test_status_carries_the_cookie_verdict(tmp_path: Path) -> None:
    path = cookie_file(tmp_path / "cookies.txt", time.time() + 5 * DAY)
    config = config_with(tmp_path, download={"cookies_file": path})
    config.state_dir.mkdir(parents=True)
    config.library_dir.mkdir(parents=True)
    ledger = Ledger(config.ledger_path)
    try:
        cookies = status_data(config, ledger)["cookies"]
        assert cookies["state"] == "expiring" and "export fresh cookies" in cookies["fix"]
        plain = config_with(tmp_path)
        assert status_data(plain, ledger)["cookies"] is None
    finally:
        ledger.close()


def test_a_provider_that_answers_is_ok(tmp_path: Path) -> None:
    with LoopbackServer() as provider:
        ping = json.dumps({"server_uptime": 12.5, "version": "2.0.2"}).encode()
        provider.add("/ping", ping, "application/json")
        config = config_with(tmp_path, youtube={"pot_provider_url": provider.url("")})
        [check] = pot_provider_check(config)
    assert check.status == "ok" and "answers (version 2.0.2)" in check.detail
    assert provider.hits["/ping"] == 1


def test_a_provider_that_is_down_or_something_else_warns(tmp_path: Path) -> None:
    with LoopbackServer() as other:
        other.add("/ping", b"<html>router login</html>", "text/html")
        config = config_with(tmp_path, youtube={"pot_provider_url": other.url("")})
        [odd] = pot_provider_check(config)
        assert odd.status == "warn"
        other.go_offline()
        [down] = pot_provider_check(config)
    assert down.status == "warn" and f"no provider answers at {other.url('')}" in down.detail
    assert "--profile pot" in down.fix


def test_without_the_plugin_the_url_is_pointless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    config = config_with(tmp_path, youtube={"pot_provider_url": "http://127.0.0.1:4416"})
    [check] = pot_provider_check(config)
    assert check.status == "warn" and "spotsyncd[pot]" in check.fix
    [unset] = pot_provider_check(config_with(tmp_path))
    assert unset.status == "ok" and "not set up" in unset.detail


def test_the_plugin_alone_is_fine_and_a_provider_at_its_default_is_found(
    tmp_path: Path,
) -> None:
    asked: list[str] = []

    def refused(url: str) -> bytes:
        asked.append(url)
        raise OSError("cannot reach GET http://127.0.0.1:4416/ping: Connection refused")

    [alone] = pot_provider_check(config_with(tmp_path), get=refused)
    assert alone.status == "ok" and "no provider runs at http://127.0.0.1:4416" in alone.detail
    assert asked == ["http://127.0.0.1:4416/ping"]
    [found] = pot_provider_check(config_with(tmp_path), get=lambda _url: b'{"version": "2.0.2"}')
    assert found.status == "ok" and "answers (version 2.0.2)" in found.detail
