"""Inbox reports: ``NAME.report.txt`` beside each processed link file, kept up to date."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from spotsyncd.core.errors import log_problem
from spotsyncd.core.retries import format_clock
from spotsyncd.ledger.tracks.reports import OpenReport, ReportLine

log = logging.getLogger(__name__)

TERMINAL = {"done", "failed", "refused", "skipped"}


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Replace ``path`` with ``text`` (a string, or pieces written as they come) all at once."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".spotsyncd-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_failure_reason(stored: Path, reason: str) -> None:
    try:
        write_atomic(
            stored.with_name(stored.name + ".reason.txt"),
            f"{stored.name}: not read.\nReason: {reason}\n",
        )
    except OSError as exc:
        log.error("cannot write the reason for %s: %s", stored, exc.strerror)


def _describe(line: ReportLine, library_dir: Path) -> str:
    if line.state == "refused":
        if line.error and line.error.startswith("following as"):
            return f"follow → {line.error}"
        return f"refused → {line.error}"
    if line.children is not None:
        total = sum(line.children.values())
        parts = ", ".join(f"{n} {state}" for state, n in sorted(line.children.items()))
        return f"list of {total} tracks → {parts or 'empty'}"
    if line.state == "done":
        return f"done → {library_dir / line.path}" if line.path else "done"
    if line.state in ("failed", "skipped"):
        return f"{line.state} → {line.error}"
    if line.state == "waiting" and line.retry_at:
        return (
            f"waiting → next attempt at {format_clock(line.retry_at)} (last attempt: {line.error})"
        )
    if line.error:
        return f"{line.state} (last attempt: {line.error})"
    return line.state


def is_final(lines: list[ReportLine]) -> bool:
    """Whether every line has reached its end (a list only once all its tracks have)."""
    return all(
        line.state in TERMINAL
        and (line.children is None or set(line.children) <= {"done", "failed", "skipped"})
        for line in lines
    )


def render_pieces(
    name: str, lines: list[ReportLine], library_dir: Path, *, final: bool
) -> Iterable[str]:
    """The report one line at a time: a file of 200,000 refused lines is never one string."""
    yield (
        f"# spotsyncd report for {name} ({'complete' if final else 'in progress'}, "
        f"updated {time.strftime('%Y-%m-%d %H:%M:%S')})\n"
    )
    for line in lines:
        yield f"{line.line_no}: {line.text}\n    {_describe(line, library_dir)}\n"


class ReportLedger(Protocol):
    """The reports still open and how their lines fared (``ledger.Reports`` has it, hence
    ``ledger.Ledger``)."""

    def open_reports(self) -> list[OpenReport]: ...
    def report_lines(self, file_id: int) -> list[ReportLine]: ...
    def mark_report_final(self, file_id: int) -> None: ...


if TYPE_CHECKING:  # mypy proves the ledger's reports repository is a ReportLedger
    from spotsyncd.ledger import Reports

    _REPORTS: type[ReportLedger] = Reports


class Reporter:
    """Rewrites the reports of files whose jobs are still running, when woken."""

    def __init__(self, ledger: ReportLedger, library_dir: Path, *, debounce_s: float = 0.5) -> None:
        self.ledger = ledger
        self.library_dir = library_dir
        self.debounce_s = debounce_s
        self._event = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-reports", daemon=True)
        self._thread.start()
        self.wake()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        self.refresh()

    def wake(self, _file_id: int | None = None) -> None:
        self._event.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._event.wait()
            if self._stop.is_set():
                return
            time.sleep(self.debounce_s)
            self._event.clear()
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - reports are best-effort; the ledger rules
                log_problem(log, "could not update inbox reports", exc)

    def refresh(self) -> None:
        for report in self.ledger.open_reports():
            if not report.report_path:
                continue
            lines = self.ledger.report_lines(report.file_id)
            final = is_final(lines)
            pieces = render_pieces(report.name, lines, self.library_dir, final=final)
            try:
                write_atomic(Path(report.report_path), pieces)
            except OSError as exc:
                log.warning("cannot write report %s: %s", report.report_path, exc.strerror)
                continue
            if final:
                self.ledger.mark_report_final(report.file_id)
