"""One way to wait in a test: poll a condition until it holds, or fail saying what was awaited.

Every folder used to carry its own loop (``_wait``, ``wait_for``, ``deadline = …``), most of
them failing with a bare "timed out"; this one names the condition, the last value it saw and
whatever the caller adds (a daemon's log), and can give up early when waiting is pointless.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_LINES = 6  # of source read to describe a lambda


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    *,
    what: str | None = None,
    interval: float = 0.02,
    details: Callable[[], str] | None = None,
    give_up: Callable[[], str | None] | None = None,
) -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something true, and
    return that value. After ``timeout`` seconds raise ``AssertionError`` naming ``what`` was
    awaited (the predicate's source line when not given), the last value seen and
    ``details()``. ``give_up`` returns a reason to stop before the timeout (a process that
    exited), or None to keep waiting."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        reason = give_up() if give_up is not None else None
        if reason is not None or time.monotonic() >= deadline:
            break
        time.sleep(interval)
    awaited = what if what is not None else describe(predicate)
    why = reason if reason is not None else f"timed out after {timeout}s"
    message = f"{why} while waiting for {awaited} (last value: {value!r})"
    if details is not None:
        message += "\n" + details()
    raise AssertionError(message)


def describe(predicate: Callable[..., object]) -> str:
    """The source of a lambda (``lambda: env.counts()["done"] == 3``), else the function's name."""
    name = getattr(predicate, "__qualname__", repr(predicate))
    if not name.endswith("<lambda>"):
        return name
    try:
        path = inspect.getsourcefile(predicate)
        _, first = inspect.getsourcelines(predicate)
    except (OSError, TypeError):
        return name
    # The lambda's line and a few after it: its body may go on over the next lines.
    lines = [linecache.getline(path or "", first + n) for n in range(_LINES)]
    source = " ".join(line.strip() for line in lines if line)
    start = source.find("lambda")
    # The longest text from "lambda" on that parses as one lambda: the call's other arguments
    # and closing brackets fall away.
    for end in range(len(source), start, -1):
        try:
            tree = ast.parse(source[start:end], mode="eval")
        except SyntaxError:
            continue
        if isinstance(tree.body, ast.Lambda):
            return source[start:end]
    return name
