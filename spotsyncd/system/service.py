"""``spotsyncd service install|uninstall|start|stop|status``: run the daemon under the OS's manager.

Linux gets a systemd user unit (or, with ``--system``, a system unit for a dedicated user); macOS a
launchd agent. Every function takes a ``runner`` so tests record the ``systemctl``/``launchctl``
commands instead of running them, and a ``home`` so nothing touches the real ``~`` in tests.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spotsyncd.core.config import Config
from spotsyncd.core.errors import UserError
from spotsyncd.system.units import LAUNCHD_LABEL, SYSTEM_USER, UNIT_NAME, render
from spotsyncd.system.units import PLATFORMS as PLATFORMS  # re-exported for the CLI
from spotsyncd.system.units import Platform as Platform

log = logging.getLogger(__name__)

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
_SYSTEM_UNIT_PATH = Path("/etc/systemd/system") / UNIT_NAME
# ProtectHome=yes hides these from the system unit, so nothing it needs may live there.
_HIDDEN_FROM_SYSTEM_UNIT = (Path("/home"), Path("/root"), Path("/run/user"))


@dataclass(frozen=True)
class ServiceReport:
    """What an action did (or, with ``dry_run``, would do): the file and the commands."""

    platform: Platform
    path: Path
    content: str | None  # the unit written; None when the action writes no file
    commands: tuple[tuple[str, ...], ...]
    dry_run: bool = False


@dataclass(frozen=True)
class ServiceStatus:
    platform: Platform
    path: Path
    installed: bool
    active: bool
    state: str  # systemd's is-active word, launchd's "state = ..." value, or "not loaded"


def run_command(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """The default runner: run without a shell, capture output, never raise on exit status."""
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise UserError(
            f"{command[0]} was not found; this system has no service manager spotsyncd supports "
            "(run `spotsyncd run` in a terminal or your own supervisor instead)"
        ) from None


def detect_platform(system: str = sys.platform) -> Platform:
    """``launchd`` on macOS, the systemd user manager elsewhere."""
    return "launchd" if system == "darwin" else "systemd-user"


def unit_path(platform: Platform | None = None, *, home: Path | None = None) -> Path:
    """Where the unit or plist is installed."""
    platform = platform or detect_platform()
    if platform == "systemd-system":
        return _SYSTEM_UNIT_PATH
    if platform == "launchd":
        return (home or Path.home()) / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
    return _user_config_home(home) / "systemd" / "user" / UNIT_NAME


def is_installed(platform: Platform | None = None, *, home: Path | None = None) -> bool:
    return unit_path(platform, home=home).is_file()


def default_log_dir(platform: Platform, *, home: Path | None = None) -> Path | None:
    """Where launchd captures stdout/stderr; None for systemd, whose journal does that."""
    if platform == "launchd":
        return (home or Path.home()) / "Library" / "Logs" / "spotsyncd"
    return None


def default_executable() -> Path:
    """The ``spotsyncd`` script of the running installation, by absolute path.

    Under systemd/launchd there is no venv on PATH, so the unit must name the script itself.
    """
    beside = Path(sys.executable).parent / "spotsyncd"
    if beside.is_file():
        return beside
    found = shutil.which("spotsyncd")
    if found:
        return Path(found).resolve()
    raise UserError(
        "cannot find the spotsyncd executable beside this Python or on PATH; "
        "pass its absolute path with --executable"
    )


def writable_paths(config: Config) -> list[Path]:
    """The directories the daemon writes, for the unit's ``ReadWritePaths=``."""
    paths = [config.library_dir, config.inbox_dir, config.state_dir]
    if config.log_file is not None:
        paths.append(config.log_file.parent)
    return [path.expanduser().absolute() for path in dict.fromkeys(paths)]


def user_namespaces_available(proc_sys: Path = Path("/proc/sys")) -> bool:
    """Whether a systemd user unit can set up its mount sandbox (it needs a user namespace)."""
    forbidding = {
        "kernel/unprivileged_userns_clone": "0",  # Debian's and Arch's older switch
        "user/max_user_namespaces": "0",
        # Ubuntu 24.04+: unconfined processes get user namespaces without capabilities.
        "kernel/apparmor_restrict_unprivileged_userns": "1",
    }
    for name, value in forbidding.items():
        try:
            if (proc_sys / name).read_text().strip() == value:
                return False
        except OSError:
            continue
    return True


def render_unit(
    platform: Platform,
    *,
    executable: Path,
    config_path: Path,
    rw_paths: Sequence[Path],
    log_dir: Path | None = None,
    home: Path | None = None,
    namespaces: bool = True,
) -> tuple[Path, str]:
    """The destination and text of the unit for this machine (for ``service install --print``)."""
    if platform == "launchd" and log_dir is None:
        log_dir = default_log_dir(platform, home=home)
    content = render(
        platform,
        executable=executable.absolute(),
        config_path=config_path.absolute(),
        rw_paths=[path.absolute() for path in rw_paths],
        log_dir=log_dir,
        namespaces=namespaces,
    )
    return unit_path(platform, home=home), content


def install(
    platform: Platform,
    *,
    executable: Path,
    config_path: Path,
    rw_paths: Sequence[Path],
    log_dir: Path | None = None,
    home: Path | None = None,
    namespaces: bool | None = None,
    runner: Runner = run_command,
    uid: int | None = None,
    dry_run: bool = False,
) -> ServiceReport:
    """Write the unit, create the directories it opens up, enable it and (re)start it.

    ``namespaces=None`` checks whether this kernel lets a user unit sandbox its file system.
    """
    if not rw_paths:
        # ProtectSystem=strict would leave the daemon unable to write anything at all.
        raise UserError("no writable directories given; pass the library, inbox and state dirs")
    if platform == "systemd-system":
        _check_system_paths([executable, config_path, *rw_paths])
        if not dry_run:
            _check_system_user()
    if namespaces is None:
        namespaces = platform != "systemd-user" or user_namespaces_available()
    if platform == "launchd" and log_dir is None:
        log_dir = default_log_dir(platform, home=home)
    path, content = render_unit(
        platform,
        executable=executable,
        config_path=config_path,
        rw_paths=rw_paths,
        log_dir=log_dir,
        home=home,
        namespaces=namespaces,
    )
    commands = _install_commands(platform, path, uid)
    if not dry_run:
        # systemd refuses to start a unit whose ReadWritePaths= do not exist yet.
        for directory in [*rw_paths, *([log_dir] if log_dir else [])]:
            directory.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        # Unloading a previous launchd agent fails when there is none; that is fine.
        _run_all(commands, runner, tolerate=[("launchctl", "bootout")])
    return ServiceReport(platform, path, content, commands, dry_run)


def uninstall(
    platform: Platform,
    *,
    home: Path | None = None,
    runner: Runner = run_command,
    uid: int | None = None,
    dry_run: bool = False,
) -> ServiceReport:
    """Stop and disable the service and remove its unit; the library and state stay."""
    path = unit_path(platform, home=home)
    if platform == "launchd":
        commands: tuple[tuple[str, ...], ...] = (("launchctl", "bootout", _launchd_target(uid)),)
        after: tuple[tuple[str, ...], ...] = ()
    else:
        systemctl = _systemctl(platform)
        commands = ((*systemctl, "disable", "--now", UNIT_NAME),)
        after = ((*systemctl, "daemon-reload"),)
    if not dry_run:
        # Stopping what is not running is fine: uninstall must also clean up a half install.
        _run_all(commands, runner, tolerate=commands)
        path.unlink(missing_ok=True)
        _run_all(after, runner)
    return ServiceReport(platform, path, None, commands + after, dry_run)


def start(
    platform: Platform,
    *,
    home: Path | None = None,
    runner: Runner = run_command,
    uid: int | None = None,
) -> None:
    if platform == "launchd":
        load = ("launchctl", "bootstrap", _launchd_domain(uid), str(unit_path(platform, home=home)))
        # bootstrap fails when the agent is already loaded; kickstart then does the starting.
        _run_all([load], runner, tolerate=[load])
        _run_all([("launchctl", "kickstart", _launchd_target(uid))], runner)
    else:
        _run_all([(*_systemctl(platform), "start", UNIT_NAME)], runner)


def stop(platform: Platform, *, runner: Runner = run_command, uid: int | None = None) -> None:
    if platform == "launchd":
        _run_all([("launchctl", "bootout", _launchd_target(uid))], runner)
    else:
        _run_all([(*_systemctl(platform), "stop", UNIT_NAME)], runner)


def status(
    platform: Platform,
    *,
    home: Path | None = None,
    runner: Runner = run_command,
    uid: int | None = None,
) -> ServiceStatus:
    path = unit_path(platform, home=home)
    installed = path.is_file()
    if platform == "launchd":
        result = runner(["launchctl", "print", _launchd_target(uid)])
        state = "not loaded"
        if result.returncode == 0:
            state = _launchd_state(result.stdout)
        return ServiceStatus(platform, path, installed, state == "running", state)
    # is-active exits non-zero for every state but "active"; its one word is what we want.
    result = runner([*_systemctl(platform), "is-active", UNIT_NAME])
    state = result.stdout.strip() or "unknown"
    return ServiceStatus(platform, path, installed, state == "active", state)


# ------------------------------------------------------------------------------------ helpers


def _install_commands(
    platform: Platform, path: Path, uid: int | None
) -> tuple[tuple[str, ...], ...]:
    if platform == "launchd":
        target = _launchd_target(uid)
        return (
            ("launchctl", "enable", target),
            # Unload a previous version first, or bootstrap refuses the new plist.
            ("launchctl", "bootout", target),
            ("launchctl", "bootstrap", _launchd_domain(uid), str(path)),
        )
    systemctl = _systemctl(platform)
    return (
        (*systemctl, "daemon-reload"),
        (*systemctl, "enable", UNIT_NAME),
        # restart, not start: a reinstall must pick up the new unit and config.
        (*systemctl, "restart", UNIT_NAME),
    )


def _run_all(
    commands: Sequence[tuple[str, ...]],
    runner: Runner,
    *,
    tolerate: Sequence[tuple[str, ...]] = (),
) -> None:
    """Run in order; raise at the first failure unless the command starts with a tolerated one."""
    for command in commands:
        result = runner(list(command))
        if result.returncode == 0:
            continue
        tolerated = any(command[: len(prefix)] == prefix for prefix in tolerate)
        detail = (result.stderr or result.stdout).strip()
        if tolerated:
            log.debug("%s exited %d (expected): %s", " ".join(command), result.returncode, detail)
            continue
        raise UserError(
            f"`{' '.join(command)}` failed (exit {result.returncode}): {detail or 'no output'}; "
            "see `spotsyncd logs` or the service manager's own status for why"
        )


def _systemctl(platform: Platform) -> tuple[str, ...]:
    return ("systemctl",) if platform == "systemd-system" else ("systemctl", "--user")


def _launchd_domain(uid: int | None) -> str:
    return f"gui/{os.getuid() if uid is None else uid}"


def _launchd_target(uid: int | None) -> str:
    return f"{_launchd_domain(uid)}/{LAUNCHD_LABEL}"


def _launchd_state(printed: str) -> str:
    for line in printed.splitlines():
        key, _, value = line.strip().partition(" = ")
        if key == "state":
            return value.strip()
    return "unknown"


def _user_config_home(home: Path | None) -> Path:
    if home is not None:
        return home / ".config"
    configured = os.environ.get("XDG_CONFIG_HOME")
    return Path(configured) if configured else Path.home() / ".config"


def _check_system_paths(paths: Sequence[Path]) -> None:
    for path in paths:
        absolute = path.absolute()
        for hidden in _HIDDEN_FROM_SYSTEM_UNIT:
            if absolute.is_relative_to(hidden):
                raise UserError(
                    f"{absolute} is under {hidden}, which the system service cannot see "
                    "(ProtectHome=yes); put the venv in /opt/spotsyncd, the config in "
                    "/etc/spotsyncd and the library and inbox under /srv, or use the user service"
                )


def _check_system_user(lookup: Callable[[str], object] | None = None) -> None:
    """The system unit runs as ``spotsyncd``; say how to create it when it is missing."""
    import pwd

    try:
        (lookup or pwd.getpwnam)(SYSTEM_USER)
    except KeyError:
        raise UserError(
            f"the system service runs as user '{SYSTEM_USER}', which does not exist; create it: "
            f"useradd --system --home-dir /var/lib/spotsyncd --shell /usr/sbin/nologin "
            f"{SYSTEM_USER}"
        ) from None
