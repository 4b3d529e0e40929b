"""Every CLI verb against every operational problem: a locked, missing, corrupt or read-only
ledger, a full disk, a permission error, a broken config, unreachable servers. Never a
traceback; one line naming the problem and a fix; a documented exit code; details in the log.

Each condition is a real world (real files, a real SQLite lock held by this process, real
tmpfs mounts, a real unprivileged user, real refused ports); one child process per condition
runs all the verbs (tests/cli/matrix_child.py), the conditions in parallel.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotsyncd.cli.main import COMMANDS
from spotsyncd.ledger import Ledger

# One child process per condition, a real unprivileged user and tmpfs mounts: end to end.
pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 75}  # 75: offline, work left for later (--once)


def _refused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _verbs(dead: str, port: int) -> dict[str, list[str]]:
    """Every verb of COMMANDS with arguments that make it do its real work."""
    return {
        "status": ["status"],
        "tracks": ["tracks", "--json"],
        "why": ["why", "youtube:aaaaaaaaaaa"],
        "report": ["report", "--since", "1d"],
        "add": ["add", f"{dead}/a.mp3"],
        "retry": ["retry", "--failed"],
        "match": ["match", "spotify:track:4uLU6hMCjMI75M1A2tKUQC", f"{dead}/b.mp3"],
        "accept": ["accept", "spotify:track:4uLU6hMCjMI75M1A2tKUQC"],
        "config": ["config", "check"],
        "doctor": ["doctor"],
        "logs": ["logs", "--file"],
        "follow": ["follow", f"{dead}/feed.xml", "--name", "feed"],
        "follows": ["follows"],
        "unfollow": ["unfollow", "feed"],
        "notify": ["notify", "test"],
        "auth": ["auth", "spotify", "--no-browser", "--timeout", "1"],
        "service": ["service", "status"],
        "media-servers": ["media-servers", "test"],
        "web": ["web", "--no-browser"],
        "verify": ["verify"],
        "retag": ["retag", "--all"],
        "sync": ["sync", "--once"],
        "run": ["run", "--once"],
        "get": ["get", "--json", f"{dead}/c.mp3"],
        "ledger": ["ledger", "migrate"],
        "worker": ["worker", "--concurrency", "1"],
        "extractors": ["extractors", "rollback"],
    }


@dataclass
class World:
    root: Path
    dead: str  # a URL whose port refuses connections
    config: dict[str, Any] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)  # run the verbs through this command
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def ledger(self) -> Path:
        return self.state / "ledger.sqlite3"

    def write_config(self, text: str | None = None) -> Path:
        path = self.root / "config.yaml"
        path.write_text(text if text is not None else yaml.safe_dump(self.config), "utf-8")
        return path


def _world(base: Path, name: str) -> World:
    root = base / name
    root.mkdir()
    port = _refused_port()
    dead = f"http://127.0.0.1:{port}"
    world = World(root, dead)
    world.config = {
        "library_dir": str(root / "library"),
        "state_dir": str(root / "state"),
        "log_level": "debug",
        "download": {"max_retries": 0, "slow_retries": [], "timeout_seconds": 2},
        "network": {"check_urls": [f"{dead}/"], "probe_every": "1s"},
        "notify": {"urls": [f"json://127.0.0.1:{port}/hook/tokenSecret123"]},
        "spotify": {
            "client_id": "id123", "client_secret": "secret123",
            "api_url": f"{dead}/v1/", "token_url": f"{dead}/api/token",
            "auth_url": f"{dead}/authorize", "embed_url": f"{dead}/embed/",
            "redirect_port": _refused_port(),
        },
    }  # fmt: skip
    for folder in ("library", "state", "home"):
        (root / folder).mkdir()
    return world


def _mount_tmpfs(target: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True)  # fmt: skip
    return done.returncode == 0


def _fresh_ledger(world: World) -> None:
    ledger = Ledger(world.ledger)
    ledger.close()


# ------------------------------------------------------------------ the conditions


def locked(world: World) -> None:
    _fresh_ledger(world)
    holder = sqlite3.connect(world.ledger, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO schema_meta VALUES ('held', 'by the test')")
    world.cleanups.append(holder.close)


def missing(world: World) -> None:
    assert not world.ledger.exists()  # the verbs start a fresh ledger (or say why not)


def corrupt(world: World) -> None:
    world.ledger.write_bytes(b"this is not an SQLite database, just junk\n" * 200)


def read_only(world: World) -> None:
    if not _mount_tmpfs(world.state, "8m"):
        pytest.skip("cannot mount a tmpfs here (needs root): no read-only ledger")
    world.cleanups.append(lambda: subprocess.run(["umount", "-l", str(world.state)]))
    _fresh_ledger(world)
    subprocess.run(["mount", "-o", "remount,ro", str(world.state)], check=True)


def disk_full(world: World) -> None:
    if not _mount_tmpfs(world.state, "512k"):
        pytest.skip("cannot mount a small tmpfs here (needs root): no full disk")
    world.cleanups.append(lambda: subprocess.run(["umount", "-l", str(world.state)]))
    _fresh_ledger(world)
    (world.state / "logs").mkdir()
    fd = os.open(world.state / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:  # ENOSPC: full
        pass
    finally:
        os.close(fd)


def permission(world: World) -> None:
    """The ledger's mode says no. Root ignores modes, so a root test drops the capabilities
    that let it (setpriv): the verbs then meet the permission check every user meets."""
    _fresh_ledger(world)
    for path in world.state.iterdir():
        path.chmod(0o000)
    world.cleanups.append(lambda: [p.chmod(0o600) for p in world.state.iterdir()])
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot make a permission error")
        caps = "-dac_override,-dac_read_search"
        world.prefix = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def broken_config(world: World) -> None:
    world.write_config("library_dir: [unclosed\naudio:\n  format: mp3\n")


def unreachable(world: World) -> None:
    world.config["follows"] = [f"{world.dead}/podcast.xml"]


CONDITIONS: dict[str, Callable[[World], None]] = {
    "locked": locked,
    "missing": missing,
    "corrupt": corrupt,
    "read_only": read_only,
    "disk_full": disk_full,
    "permission": permission,
    "broken_config": broken_config,
    "unreachable": unreachable,
}

# What the user must be told, for the verbs that cannot work under that condition.
EXPECTED: dict[str, tuple[set[int], tuple[str, ...], tuple[str, ...]]] = {
    # condition: (exit codes, words one of which the line says, verbs that must hit it)
    "locked": ({4}, ("locked",), ("status", "tracks", "add", "why", "report", "follows")),
    "corrupt": ({4}, ("corrupt",), ("status", "tracks", "add", "retry", "follow", "run")),
    "read_only": ({2, 4}, ("read-only", "not writable"), ("status", "add", "run")),
    "disk_full": ({4}, ("full",), ("add", "follow")),
    "permission": ({2, 4}, ("cannot be opened", "permission", "not writable"), ("status", "add")),
    # 'service status' asks the service manager and reads no config
    "broken_config": ({2}, ("config error",), tuple(v for v in COMMANDS if v != "service")),
    "unreachable": ({1}, ("FAILED to notify",), ("notify",)),
}


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[str, dict[str, dict[str, Any]]]]:
    base = Path(tempfile.mkdtemp(prefix="spotsyncd-matrix-"))
    worlds: dict[str, World] = {}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    skipped: dict[str, str] = {}
    try:
        for name, prepare in CONDITIONS.items():
            world = worlds[name] = _world(base, name)
            try:
                prepare(world)
            except pytest.skip.Exception as exc:
                skipped[name] = str(exc)
                continue
            if name != "broken_config":
                world.write_config()
            spec = {"verbs": _verbs(world.dead, 0), "busy_ms": 500}
            (world.root / "spec.json").write_text(json.dumps(spec), "utf-8")
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("SPOTSYNCD_", "SPOTIFY_", "NOTIFY_SOCKET", "JOURNAL"))
            }
            home = str(world.root / "home")
            env.update(HOME=home, SPOTSYNCD_CONFIG=str(world.root / "config.yaml"),
                       PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=home, XDG_DATA_HOME=home,
                       PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
            procs[name] = subprocess.Popen(
                [*world.prefix, sys.executable, "-m", "tests.cli.matrix_child",
                 str(world.root / "spec.json"), str(world.root / "result.json")],
                cwd=world.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,
            )  # fmt: skip
        results: dict[str, dict[str, dict[str, Any]]] = {}
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=240)
            raw = json.loads((worlds[name].root / "result.json").read_text("utf-8") or "{}")
            raw["_process"] = {"code": proc.returncode, "out": out.decode(errors="replace"),
                               "err": err.decode(errors="replace")}  # fmt: skip
            results[name] = raw
        for name, reason in skipped.items():
            print(f"condition {name} skipped: {reason}")
        results["_skipped"] = {name: {"reason": r} for name, r in skipped.items()}
        yield results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for world in worlds.values():
            for cleanup in reversed(world.cleanups):
                cleanup()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_no_verb_shows_a_traceback(
    outcomes: dict[str, dict[str, dict[str, Any]]], condition: str
) -> None:
    if condition in outcomes["_skipped"]:
        pytest.skip(outcomes["_skipped"][condition]["reason"])
    result = outcomes[condition]
    process = result.pop("_process")
    assert process["code"] == 0, f"the child process failed:\n{process['err'][-3000:]}"
    assert "Traceback" not in process["out"] + process["err"], process["err"][-3000:]
    assert set(result) == set(COMMANDS), "every verb ran"
    for verb, outcome in result.items():
        said = f"{condition} / spotsyncd {verb} → {outcome['code']}\n{outcome['err']}"
        assert outcome["code"] != "escaped", said
        # 'logs' prints the log file, where the details (tracebacks) belong: its stdout is
        # the one place a traceback may appear.
        shown = outcome["err"] + ("" if verb == "logs" else outcome["out"])
        assert "Traceback" not in shown, said
        assert "internal error" not in outcome["err"], said
        assert outcome["code"] in DOCUMENTED_EXIT_CODES, said
        if outcome["code"] not in (0, 1):
            problem = [ln for ln in outcome["err"].splitlines() if ln.startswith("spotsyncd: ")]
            assert problem, f"no one-line reason: {said}"
    if condition in EXPECTED:
        codes, words, verbs = EXPECTED[condition]
        for verb in verbs:
            outcome = result[verb]
            said = f"{condition} / spotsyncd {verb} → {outcome['code']}\n{outcome['err']}"
            text = outcome["err"] + outcome["out"]
            assert outcome["code"] in codes and any(w in text for w in words), said


def test_operational_problems_leave_details_in_the_log(
    outcomes: dict[str, dict[str, dict[str, Any]]],
) -> None:
    corrupt_status = outcomes["corrupt"]["status"]
    assert corrupt_status["code"] == 4
    line = corrupt_status["err"].strip()
    assert line.count("\n") == 0 and "mv " in line and "details in " in line
    log_file = Path(line.rsplit("details in ", 1)[1].rstrip(")"))
    assert log_file.name == "spotsyncd.log"
    # 'logs' (run after the failing verbs) shows those details: the traceback is in the log.
    logged = outcomes["corrupt"]["logs"]["out"]
    assert "is corrupt" in logged and "Traceback" in logged
