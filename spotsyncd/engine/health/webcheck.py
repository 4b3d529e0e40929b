"""``doctor``'s web checks: is the dashboard served, and if not, why; is the token private."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator

from spotsyncd.core.config import Config
from spotsyncd.engine.health.checks import Check
from spotsyncd.engine.health.status import daemon_info, web_info
from spotsyncd.system.webauth import TOKEN_FILE


def web_checks(config: Config) -> Iterator[Check]:
    if not config.web.enabled:
        yield Check("web", "ok", "off (web.enabled: false)")
        return
    running = daemon_info(config)["running"]
    web = web_info(config, running)
    if web["running"]:
        yield Check("web", "ok", f"dashboard and API at {web['url']}",
                    "'spotsyncd web' prints a login link")  # fmt: skip
    elif running:
        yield Check("web", "fail", f"the daemon runs without the web: {web['error']}",
                    "free the port or change web.listen, then restart spotsyncd")  # fmt: skip
    else:
        problem = _port_problem(config.web.host, config.web.port)
        if problem:
            yield Check("web", "warn", f"{config.web.listen} {problem}; spotsyncd would run "
                        "without the web", "change web.listen to a free port")  # fmt: skip
        else:
            yield Check("web", "ok", f"{config.web.listen} is free (the daemon is not running)")
    token = config.state_dir / TOKEN_FILE
    try:
        mode = stat.S_IMODE(token.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        yield Check("web token", "fail", f"{token} has mode {oct(mode)}: others can read it",
                    f"chmod 600 {token}; then 'spotsyncd web token --rotate'")  # fmt: skip


def _port_problem(host: str, port: int) -> str | None:
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return f"cannot be used: {exc.strerror}"
    return None
