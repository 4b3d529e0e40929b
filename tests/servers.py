"""The real PostgreSQL and Redis servers tests use, and what to do when one is missing.

Each test that needs PostgreSQL gets a database of its own (created here, dropped after), on the
server at ``SPOTSYNCD_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/``).
The Redis tests start a ``redis-server`` of their own (they restart and flush it). Missing
servers or binaries skip the test with the reason printed; with ``CI=true`` the skip is a
failure (``tests/conftest.py``): CI must have them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.waiting import wait_for

PG_SERVER = os.environ.get("SPOTSYNCD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def _admin_dsn(database: str = "postgres") -> str:
    return PG_SERVER.replace("postgresql+psycopg://", "postgresql://").rstrip("/") + "/" + database


def require_postgres() -> None:
    if not _reachable(PG_SERVER, 5432):
        pytest.skip(f"PostgreSQL is not reachable at {PG_SERVER} (set SPOTSYNCD_TEST_PG)")


@contextmanager
def postgres_database(prefix: str = "spotsyncd_test") -> Iterator[str]:
    """A new, empty database for one test; yields its SQLAlchemy URL and drops it after."""
    import psycopg

    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rstrip("/") + "/" + name
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float, up: bool = True) -> None:
    def port_is_as_wanted() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return up
        except OSError:
            return not up

    wanted = "open" if up else "close"
    wait_for(port_is_as_wanted, timeout, interval=0.05, what=f"port {port} to {wanted}")


class RedisServer:
    """A throwaway ``redis-server`` of the test's own on a free port: it can be stopped, started
    and flushed without touching anyone else's Redis. Skips (fails with CI=true) without it."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary is not None
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_port(self.port, 10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None
        _wait_port(self.port, 10, up=False)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PostgresServer:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl from /usr/lib/postgresql/*/bin) on a free
    port, for tests that restart the server. Skips (fails with CI=true) without the binaries.
    Its files live in a temp dir of its own (PostgreSQL runs as ``postgres`` when we are root,
    and cannot enter pytest's private temp dirs); they are removed afterwards."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
        self.bin = found[-1].parent
        self.root = Path(tempfile.mkdtemp(prefix="spotsyncd-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self._user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._user:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/spotsyncd"

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._user, *args], capture_output=True, text=True, timeout=120)
        if result.returncode:
            log = self.root / "pg.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise AssertionError(f"{args[0]} failed: {result.stderr}{result.stdout}\n{tail}")

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        self.start()
        import psycopg

        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute('CREATE DATABASE "spotsyncd"')

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "pg.log"), "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                      "-t", "60", "stop")  # fmt: skip

    def __enter__(self) -> PostgresServer:
        self.init()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
