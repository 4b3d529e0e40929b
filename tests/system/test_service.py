from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from spotsyncd.core.config import Config
from spotsyncd.core.errors import UserError
from spotsyncd.system import service
from spotsyncd.system.units import LAUNCHD_PATH, render, shipped_files

ROOT = Path(__file__).resolve().parents[2]


class RecordingRunner:
    """Records commands; answers with scripted results keyed by a command prefix."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str]] | None = None) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.answers = answers or {}

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.commands.append(tuple(command))
        code, output = 0, ""
        for prefix, answer in self.answers.items():
            if tuple(command[: len(prefix)]) == prefix:
                code, output = answer
        return subprocess.CompletedProcess(list(command), code, output, "boom" if code else "")


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A fake home with a venv script, a config and the daemon's directories."""
    home = tmp_path / "home dir"
    executable = home / "venv" / "bin" / "spotsyncd"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    config = home / ".config" / "spotsyncd" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("library_dir: ~/Music\n")
    return {
        "home": home,
        "executable": executable,
        "config": config,
        "library": home / "Music 100%",
        "inbox": home / "Music 100%" / "inbox",
        "state": home / ".local" / "share" / "spotsyncd",
    }


def _rw(layout: dict[str, Path]) -> list[Path]:
    return [layout["library"], layout["inbox"], layout["state"]]


def _directives(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
            sections[section] = {}
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            sections[section].setdefault(key, []).append(value)
    return sections


def test_repository_files_are_the_templates() -> None:
    for relative, text in shipped_files().items():
        assert (ROOT / relative).read_text() == text, (
            f"run: python -m spotsyncd.system.units ({relative})"
        )


def test_user_unit_directives(layout: dict[str, Path]) -> None:
    path, text = service.render_unit(
        "systemd-user",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        home=layout["home"],
    )
    assert path == layout["home"] / ".config" / "systemd" / "user" / "spotsyncd.service"
    unit = _directives(text)
    assert unit["Unit"]["StartLimitIntervalSec"] == ["300"]
    assert unit["Unit"]["StartLimitBurst"] == ["5"]
    svc = {key: values[-1] for key, values in unit["Service"].items()}
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "Restart": "on-failure",
        "RestartSec": "10",
        "TimeoutStopSec": "15",
        "KillMode": "mixed",
        "WatchdogSec": "60",
        "UMask": "0077",
        "NoNewPrivileges": "yes",
        "PrivateUsers": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "read-only",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    }
    assert {key: svc.get(key) for key in expected} == expected
    assert "PYTHONUNBUFFERED=1" in unit["Service"]["Environment"]
    assert "MemoryDenyWriteExecute" not in svc
    assert svc["ExecStart"] == f'"{layout["executable"]}" run --config "{layout["config"]}"'
    # systemd reads "%" as a specifier, so a literal one is doubled.
    quoted = [f'"{str(path).replace("%", "%%")}"' for path in _rw(layout)]
    assert svc["ReadWritePaths"] == " ".join(quoted)
    assert "100%%" in svc["ReadWritePaths"]
    assert re.findall(r"@[A-Z_]+@", text) == []
    assert unit["Install"]["WantedBy"] == ["default.target"]


def test_user_unit_without_namespaces_keeps_the_seccomp_sandbox(layout: dict[str, Path]) -> None:
    _path, text = service.render_unit(
        "systemd-user",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        namespaces=False,
    )
    svc = _directives(text)["Service"]
    for needs_namespace in ("PrivateUsers", "PrivateTmp", "ProtectSystem", "ReadWritePaths"):
        assert needs_namespace not in svc
    for everywhere in ("NoNewPrivileges", "SystemCallFilter", "RestrictAddressFamilies", "UMask"):
        assert everywhere in svc


def test_system_unit_directives(layout: dict[str, Path]) -> None:
    text = render(
        "systemd-system",
        executable=Path("/opt/spotsyncd/bin/spotsyncd"),
        config_path=Path("/etc/spotsyncd/config.yaml"),
        rw_paths=[Path("/srv/music"), Path("/srv/inbox")],
    )
    svc = {key: values[-1] for key, values in _directives(text)["Service"].items()}
    assert svc["User"] == "spotsyncd"
    assert svc["StateDirectory"] == "spotsyncd"
    assert svc["ProtectHome"] == "yes"
    assert svc["CapabilityBoundingSet"] == ""
    assert svc["ReadWritePaths"] == '"/srv/music" "/srv/inbox"'
    assert "MemoryDenyWriteExecute" not in svc


def _analyze(*args: str, runtime_dir: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"XDG_RUNTIME_DIR": str(runtime_dir), "SYSTEMD_LOG_COLOR": "0"}
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize(
    ("platform", "user_flag", "max_exposure"),
    [("systemd-system", (), 4.5), ("systemd-user", ("--user",), 4.5)],
)
def test_systemd_analyze_verify_and_security(
    layout: dict[str, Path],
    tmp_path: Path,
    platform: service.Platform,
    user_flag: tuple[str, ...],
    max_exposure: float,
) -> None:
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir()
    for directory in _rw(layout):
        directory.mkdir(parents=True, exist_ok=True)
    unit = tmp_path / "units" / "spotsyncd.service"
    unit.parent.mkdir()
    unit.write_text(
        render(
            platform,
            executable=layout["executable"],
            config_path=layout["config"],
            rw_paths=_rw(layout),
        )
    )
    verified = _analyze(*user_flag, "verify", str(unit), runtime_dir=runtime_dir)
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == ""
    security = _analyze(
        *user_flag, "security", "--offline=true", str(unit), runtime_dir=runtime_dir
    )
    if security.returncode != 0 and "offline" in security.stderr:
        pytest.skip("this systemd-analyze has no --offline security check (systemd < 250)")
    match = re.search(r"Overall exposure level for spotsyncd.service: ([\d.]+)", security.stdout)
    assert match, security.stdout + security.stderr
    assert float(match.group(1)) <= max_exposure

    # verify must be able to fail, or the check above proves nothing.
    layout["executable"].unlink()
    broken = _analyze(*user_flag, "verify", str(unit), runtime_dir=runtime_dir)
    assert broken.returncode != 0
    assert "spotsyncd" in broken.stderr


def test_launchd_plist(layout: dict[str, Path]) -> None:
    path, text = service.render_unit(
        "launchd",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        home=layout["home"],
    )
    assert path == layout["home"] / "Library" / "LaunchAgents" / "com.spotsyncd.agent.plist"
    agent = plistlib.loads(text.encode())
    logs = layout["home"] / "Library" / "Logs" / "spotsyncd"
    assert agent["Label"] == "com.spotsyncd.agent"
    assert agent["ProgramArguments"] == [
        str(layout["executable"]),
        "run",
        "--config",
        str(layout["config"]),
    ]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["ThrottleInterval"] == 30
    assert agent["ProcessType"] == "Background"
    assert agent["StandardOutPath"] == str(logs / "spotsyncd.out.log")
    assert agent["StandardErrorPath"] == str(logs / "spotsyncd.err.log")
    assert agent["EnvironmentVariables"] == {"PATH": LAUNCHD_PATH, "PYTHONUNBUFFERED": "1"}
    assert LAUNCHD_PATH.startswith("/opt/homebrew/bin:/usr/local/bin:")


def test_install_systemd_user(layout: dict[str, Path]) -> None:
    runner = RecordingRunner()
    report = service.install(
        "systemd-user",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        home=layout["home"],
        namespaces=True,
        runner=runner,
    )
    assert report.path.read_text() == report.content
    assert service.is_installed("systemd-user", home=layout["home"])
    assert all(path.is_dir() for path in _rw(layout))
    assert runner.commands == [
        ("systemctl", "--user", "daemon-reload"),
        ("systemctl", "--user", "enable", "spotsyncd.service"),
        ("systemctl", "--user", "restart", "spotsyncd.service"),
    ]
    assert list(report.commands) == runner.commands


def test_install_dry_run_touches_nothing(layout: dict[str, Path]) -> None:
    runner = RecordingRunner()
    report = service.install(
        "systemd-user",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        home=layout["home"],
        runner=runner,
        dry_run=True,
    )
    assert runner.commands == []
    assert not report.path.exists()
    assert not layout["library"].exists()
    assert report.content and "Type=notify" in report.content
    assert len(report.commands) == 3


def test_install_reports_a_failing_command(layout: dict[str, Path]) -> None:
    runner = RecordingRunner({("systemctl", "--user", "enable"): (1, "")})
    with pytest.raises(UserError, match=r"`systemctl --user enable spotsyncd.service` failed"):
        service.install(
            "systemd-user",
            executable=layout["executable"],
            config_path=layout["config"],
            rw_paths=_rw(layout),
            home=layout["home"],
            runner=runner,
        )
    assert runner.commands[-1] == ("systemctl", "--user", "enable", "spotsyncd.service")


def test_install_and_uninstall_launchd(layout: dict[str, Path]) -> None:
    # bootout fails when nothing is loaded yet: install must carry on.
    runner = RecordingRunner({("launchctl", "bootout"): (3, "")})
    report = service.install(
        "launchd",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        home=layout["home"],
        runner=runner,
        uid=501,
    )
    plistlib.loads(report.path.read_bytes())
    assert (layout["home"] / "Library" / "Logs" / "spotsyncd").is_dir()
    assert runner.commands == [
        ("launchctl", "enable", "gui/501/com.spotsyncd.agent"),
        ("launchctl", "bootout", "gui/501/com.spotsyncd.agent"),
        ("launchctl", "bootstrap", "gui/501", str(report.path)),
    ]
    removed = service.uninstall("launchd", home=layout["home"], runner=runner, uid=501)
    assert not removed.path.exists()
    assert runner.commands[-1] == ("launchctl", "bootout", "gui/501/com.spotsyncd.agent")


def test_uninstall_systemd_user_cleans_up_a_stopped_service(layout: dict[str, Path]) -> None:
    unit = service.unit_path("systemd-user", home=layout["home"])
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\n")
    runner = RecordingRunner({("systemctl", "--user", "disable"): (5, "")})
    service.uninstall("systemd-user", home=layout["home"], runner=runner)
    assert not unit.exists()
    assert runner.commands == [
        ("systemctl", "--user", "disable", "--now", "spotsyncd.service"),
        ("systemctl", "--user", "daemon-reload"),
    ]


def test_start_stop_status_systemd(layout: dict[str, Path]) -> None:
    runner = RecordingRunner({("systemctl", "--user", "is-active"): (3, "inactive\n")})
    service.start("systemd-user", runner=runner)
    service.stop("systemd-user", runner=runner)
    state = service.status("systemd-user", home=layout["home"], runner=runner)
    assert (state.installed, state.active, state.state) == (False, False, "inactive")
    assert runner.commands == [
        ("systemctl", "--user", "start", "spotsyncd.service"),
        ("systemctl", "--user", "stop", "spotsyncd.service"),
        ("systemctl", "--user", "is-active", "spotsyncd.service"),
    ]
    running = RecordingRunner({("systemctl", "is-active"): (0, "active\n")})
    assert service.status("systemd-system", runner=running).active
    assert running.commands == [("systemctl", "is-active", "spotsyncd.service")]


def test_start_and_status_launchd(layout: dict[str, Path]) -> None:
    printed = "gui/501/com.spotsyncd.agent = {\n\tactive count = 1\n\tstate = running\n}\n"
    runner = RecordingRunner(
        {("launchctl", "bootstrap"): (37, ""), ("launchctl", "print"): (0, printed)}
    )
    service.start("launchd", home=layout["home"], runner=runner, uid=501)
    assert runner.commands[-1] == ("launchctl", "kickstart", "gui/501/com.spotsyncd.agent")
    state = service.status("launchd", home=layout["home"], runner=runner, uid=501)
    assert (state.active, state.state) == (True, "running")
    gone = RecordingRunner({("launchctl", "print"): (113, "")})
    assert service.status("launchd", runner=gone, uid=501).state == "not loaded"


def test_system_unit_refuses_paths_hidden_by_protect_home(layout: dict[str, Path]) -> None:
    with pytest.raises(UserError, match=r"under /home, which the system service cannot see"):
        service.install(
            "systemd-system",
            executable=Path("/home/me/venv/bin/spotsyncd"),
            config_path=Path("/etc/spotsyncd/config.yaml"),
            rw_paths=[Path("/srv/music")],
            runner=RecordingRunner(),
            dry_run=True,
        )
    report = service.install(
        "systemd-system",
        executable=Path("/opt/spotsyncd/bin/spotsyncd"),
        config_path=Path("/etc/spotsyncd/config.yaml"),
        rw_paths=[Path("/srv/music")],
        runner=RecordingRunner(),
        dry_run=True,
    )
    assert report.path == Path("/etc/systemd/system/spotsyncd.service")
    assert report.commands[1] == ("systemctl", "enable", "spotsyncd.service")


def test_install_needs_writable_directories(layout: dict[str, Path]) -> None:
    runner = RecordingRunner()
    with pytest.raises(UserError, match="no writable directories"):
        service.install(
            "systemd-user",
            executable=layout["executable"],
            config_path=layout["config"],
            rw_paths=[],
            home=layout["home"],
            runner=runner,
        )
    assert runner.commands == []


def test_missing_system_user_says_how_to_create_it() -> None:
    def lookup(name: str) -> object:
        raise KeyError(name)

    with pytest.raises(UserError, match="useradd --system"):
        service._check_system_user(lookup)
    service._check_system_user(lambda name: name)


def test_user_namespace_detection(tmp_path: Path) -> None:
    assert service.user_namespaces_available(tmp_path)  # nothing forbids them
    (tmp_path / "kernel").mkdir()
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "max_user_namespaces").write_text("63000\n")
    (tmp_path / "kernel" / "apparmor_restrict_unprivileged_userns").write_text("0\n")
    assert service.user_namespaces_available(tmp_path)
    (tmp_path / "kernel" / "apparmor_restrict_unprivileged_userns").write_text("1\n")
    assert not service.user_namespaces_available(tmp_path)


def test_install_leaves_out_the_namespace_block_where_the_kernel_forbids_it(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "user_namespaces_available", lambda: False)
    report = service.install(
        "systemd-user",
        executable=layout["executable"],
        config_path=layout["config"],
        rw_paths=_rw(layout),
        home=layout["home"],
        runner=RecordingRunner(),
        dry_run=True,
    )
    assert report.content is not None
    assert "PrivateUsers" not in report.content


def test_writable_paths(tmp_path: Path) -> None:
    config = Config(
        library_dir=tmp_path / "music",
        inbox_dir=tmp_path / "music" / "inbox",
        state_dir=tmp_path / "state",
        log_file=tmp_path / "state" / "spotsyncd.log",
    )
    assert service.writable_paths(config) == [
        tmp_path / "music",
        tmp_path / "music" / "inbox",
        tmp_path / "state",
    ]


def test_platform_and_executable() -> None:
    assert service.detect_platform("darwin") == "launchd"
    assert service.detect_platform("linux") == "systemd-user"
    executable = service.default_executable()
    assert executable.is_absolute() and executable.name == "spotsyncd"
