"""The service definitions spotsyncd installs: systemd units and the launchd agent.

This module is their single source of truth. The files under ``systemd/`` and ``launchd/`` in the
repository are ``shipped_files()`` written out, placeholders and all (a test keeps them equal);
``render`` fills the placeholders with this machine's paths. Pure functions: no I/O here.
"""

from __future__ import annotations

import plistlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

Platform = Literal["systemd-user", "systemd-system", "launchd"]
PLATFORMS: tuple[Platform, ...] = ("systemd-user", "systemd-system", "launchd")
UNIT_NAME = "spotsyncd.service"
LAUNCHD_LABEL = "com.spotsyncd.agent"
SYSTEM_USER = "spotsyncd"
LAUNCHD_PATH = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin"

_NS_BEGIN = "# >>> namespace sandbox"
_NS_END = "# <<< namespace sandbox"

# Options that need a mount namespace sit between the markers: in a user unit that means an
# unprivileged user namespace (PrivateUsers=), which some kernels forbid; the rest is seccomp or
# plain process attributes and works everywhere.
SYSTEMD_USER_UNIT = f"""\
# spotsyncd as a systemd user service (~/.config/systemd/user/spotsyncd.service).
# `spotsyncd service install` fills in the @...@ placeholders with this machine's paths.
# It runs while you are logged in; `loginctl enable-linger $USER` keeps it running after logout.
[Unit]
Description=spotsyncd: keep a music library in sync with links, playlists and feeds
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
ExecStart=@EXEC_START@
Restart=on-failure
RestartSec=10
TimeoutStartSec=60
TimeoutStopSec=15
# SIGTERM to the daemon only, so it can stop its own ffmpeg/deno children in order.
KillMode=mixed
WatchdogSec=60
Environment=PYTHONUNBUFFERED=1
# yt-dlp's and deno's caches live here, since the home directory is read-only below.
CacheDirectory=spotsyncd
Environment=XDG_CACHE_HOME=%C/spotsyncd
UMask=0077
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
KeyringMode=private
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap
# A refused system call fails with EPERM instead of killing the daemon (V8 probes pkey_*).
SystemCallErrorNumber=EPERM
# No MemoryDenyWriteExecute=: deno, which yt-dlp runs for YouTube, needs W+X memory for its JIT.
{_NS_BEGIN}: needs unprivileged user namespaces; install leaves it out where they are off
PrivateUsers=yes
CapabilityBoundingSet=
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=@READ_WRITE_PATHS@
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectHostname=yes
{_NS_END}

[Install]
WantedBy=default.target
"""

SYSTEMD_SYSTEM_UNIT = f"""\
# spotsyncd as a system service for the dedicated user '{SYSTEM_USER}'
# (/etc/systemd/system/spotsyncd.service). `spotsyncd service install --system` fills in the
# @...@ placeholders. Create the user first:
#   useradd --system --home-dir /var/lib/spotsyncd --shell /usr/sbin/nologin {SYSTEM_USER}
# In /etc/spotsyncd/config.yaml set state_dir: /var/lib/spotsyncd and, for a log file,
# log_file: /var/log/spotsyncd/spotsyncd.log. The library and inbox must be outside /home.
[Unit]
Description=spotsyncd: keep a music library in sync with links, playlists and feeds
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
User={SYSTEM_USER}
Group={SYSTEM_USER}
ExecStart=@EXEC_START@
Restart=on-failure
RestartSec=10
TimeoutStartSec=60
TimeoutStopSec=15
# SIGTERM to the daemon only, so it can stop its own ffmpeg/deno children in order.
KillMode=mixed
WatchdogSec=60
Environment=PYTHONUNBUFFERED=1
Environment=XDG_CACHE_HOME=%C/spotsyncd
StateDirectory=spotsyncd
StateDirectoryMode=0750
CacheDirectory=spotsyncd
CacheDirectoryMode=0750
LogsDirectory=spotsyncd
LogsDirectoryMode=0750
ConfigurationDirectory=spotsyncd
ConfigurationDirectoryMode=0750
# Group-readable files, so a media server in group {SYSTEM_USER} can read the library.
UMask=0027
ReadWritePaths=@READ_WRITE_PATHS@
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
PrivateUsers=yes
PrivateIPC=yes
ProtectProc=invisible
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
RemoveIPC=yes
KeyringMode=private
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap
# A refused system call fails with EPERM instead of killing the daemon (V8 probes pkey_*).
SystemCallErrorNumber=EPERM
# No MemoryDenyWriteExecute=: deno, which yt-dlp runs for YouTube, needs W+X memory for its JIT.

[Install]
WantedBy=multi-user.target
"""

_PLACEHOLDER_EXECUTABLE = Path("@SPOTSYNCD@")
_PLACEHOLDER_CONFIG = Path("@CONFIG@")
_PLACEHOLDER_LOG_DIR = Path("@LOG_DIR@")


def render(
    platform: Platform,
    *,
    executable: Path,
    config_path: Path,
    rw_paths: Sequence[Path] = (),
    log_dir: Path | None = None,
    namespaces: bool = True,
) -> str:
    """The unit file (or plist) text for ``platform`` with these paths filled in.

    ``rw_paths`` are the directories the daemon writes (library, inbox, state, log dir); for
    launchd, ``log_dir`` receives launchd's capture of stdout and stderr.
    """
    if platform == "launchd":
        if log_dir is None:
            raise ValueError("launchd needs a log_dir for stdout/stderr")
        return _launchd_plist(executable, config_path, log_dir)
    template = SYSTEMD_USER_UNIT if platform == "systemd-user" else SYSTEMD_SYSTEM_UNIT
    if not namespaces:
        template = _without_namespace_block(template)
    writable = list(dict.fromkeys([*rw_paths, *([log_dir] if log_dir else [])]))
    exec_start = " ".join(
        [_systemd_quote(str(executable)), "run", "--config", _systemd_quote(str(config_path))]
    )
    return template.replace("@EXEC_START@", exec_start).replace(
        "@READ_WRITE_PATHS@", " ".join(_systemd_quote(str(path)) for path in writable)
    )


def shipped_files() -> dict[str, str]:
    """The repository's ``systemd/`` and ``launchd/`` files: the templates, placeholders kept."""
    launchd = _launchd_plist(_PLACEHOLDER_EXECUTABLE, _PLACEHOLDER_CONFIG, _PLACEHOLDER_LOG_DIR)
    return {
        "systemd/spotsyncd.service": SYSTEMD_USER_UNIT,
        "systemd/spotsyncd-system.service": SYSTEMD_SYSTEM_UNIT,
        f"launchd/{LAUNCHD_LABEL}.plist": launchd,
    }


def write_shipped_files(root: Path) -> list[Path]:
    """Regenerate the repository copies: ``python -m spotsyncd.system.units``."""
    written = []
    for relative, text in shipped_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def _launchd_plist(executable: Path, config_path: Path, log_dir: Path) -> str:
    agent: dict[str, Any] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": [str(executable), "run", "--config", str(config_path)],
        "RunAtLoad": True,
        # Restart after a crash, not after a clean exit (e.g. `spotsyncd service stop`).
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 30,
        "ProcessType": "Background",
        "ExitTimeOut": 15,
        "Umask": 0o077,
        "StandardOutPath": str(log_dir / "spotsyncd.out.log"),
        "StandardErrorPath": str(log_dir / "spotsyncd.err.log"),
        # launchd's default PATH lacks Homebrew, where a system ffmpeg usually lives.
        "EnvironmentVariables": {"PATH": LAUNCHD_PATH, "PYTHONUNBUFFERED": "1"},
    }
    return plistlib.dumps(agent, sort_keys=False).decode()


def _without_namespace_block(template: str) -> str:
    kept: list[str] = []
    inside = False
    for line in template.splitlines(keepends=True):
        if line.startswith(_NS_BEGIN):
            inside = True
        elif line.startswith(_NS_END):
            inside = False
        elif not inside:
            kept.append(line)
    return "".join(kept)


def _systemd_quote(value: str) -> str:
    """One word of a unit file: double-quoted, with systemd's escapes and ``%`` specifiers."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


if __name__ == "__main__":
    for written in write_shipped_files(Path(__file__).resolve().parents[1]):
        print(written)
