from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from spotsyncd.core.errors import UserError
from spotsyncd.system.lock import InstanceLock, holder_pid

ROOT = Path(__file__).resolve().parents[2]

_TRY_LOCK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from spotsyncd.core.errors import UserError
    from spotsyncd.system.lock import InstanceLock
    try:
        with InstanceLock(Path(sys.argv[1])):
            print("acquired", flush=True)
    except UserError as exc:
        print(exc, flush=True)
        sys.exit(3)
    """
)

_HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from spotsyncd.system.lock import InstanceLock
    lock = InstanceLock(Path(sys.argv[1]))
    lock.acquire()
    print("held", flush=True)
    time.sleep(60)
    """
)


def _python(code: str, state_dir: Path) -> list[str]:
    return [sys.executable, "-c", code, str(state_dir)]


def _try_lock(state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _python(_TRY_LOCK, state_dir), cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_second_process_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with InstanceLock(state_dir) as lock:
        assert lock.held
        assert (state_dir / "spotsyncd.lock").read_text().strip() == str(os.getpid())
        assert holder_pid(state_dir) == os.getpid()

        refused = _try_lock(state_dir)
        assert refused.returncode == 3
        assert refused.stdout.strip() == (
            f"another spotsyncd (pid {os.getpid()}) is already running on {state_dir}; "
            "stop it first"
        )
    assert not lock.held
    assert holder_pid(state_dir) is None
    accepted = _try_lock(state_dir)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == "acquired"


def test_lock_dies_with_its_holder(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    holder = subprocess.Popen(
        _python(_HOLD_LOCK, state_dir), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert holder_pid(state_dir) == holder.pid
        with pytest.raises(UserError, match=rf"\(pid {holder.pid}\) is already running on"):
            InstanceLock(state_dir).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    # No clean-up ran in the killed process, yet the kernel released the lock.
    with InstanceLock(state_dir):
        assert holder_pid(state_dir) == os.getpid()


def test_same_process_second_lock_is_refused(tmp_path: Path) -> None:
    # flock is per open file, so even a second lock object in this process is kept out.
    with InstanceLock(tmp_path), pytest.raises(UserError, match="stop it first"):
        InstanceLock(tmp_path).acquire()


def test_acquire_is_idempotent_and_release_keeps_the_file(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path / "new" / "state")
    lock.acquire()
    lock.acquire()
    lock.release()
    lock.release()
    assert lock.path.exists()
    assert lock.path.read_text() == ""
    assert holder_pid(lock.path.parent) is None


def test_holder_pid_without_lock_file(tmp_path: Path) -> None:
    assert holder_pid(tmp_path) is None
