"""Run every benchmark: ``python -m bench [--quick] [--only NAME] [--write-results]``.

Each benchmark prints its own figures and its ratio to the baseline or target measured in the
same run; a summary table follows. ``--quick`` runs each on a tiny input (seconds in total; the
figures then mean nothing against the targets). Nothing is written unless ``--write-results``,
which adds this run to ``bench/RESULTS.md`` (replacing an earlier run of the same command on the
same machine): machine, date, command and figures.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import re
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import machine

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True)
class Figure:
    """One headline number and how it compares with its target (``value <= target`` unless
    ``exact``: then it must equal it); ``target=None`` is reported without a verdict."""

    bench: str
    name: str
    value: float
    unit: str
    target: float | None = None
    exact: bool = False

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        return self.value == self.target if self.exact else self.value <= self.target

    @property
    def ratio(self) -> float | None:
        if not self.target:
            return None
        return self.value / self.target

    def row(self, quick: bool = False) -> list[str]:
        sign = "=" if self.exact else "≤"
        target = (
            f"{sign} {_num(self.target)} {self.unit}".strip() if self.target is not None else ""
        )
        ratio = f"{self.ratio:.2f}" if self.ratio is not None else ""
        verdict = {True: "pass", False: "**miss**", None: ""}[self.ok]
        if quick and self.ok is not None:
            verdict = "(quick: no verdict)"  # tiny inputs say nothing about the targets
        return [
            self.bench,
            self.name,
            f"{_num(self.value)} {self.unit}".strip(),
            target,
            ratio,
            verdict,
        ]


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _processing(r: dict[str, Any]) -> list[Figure]:
    figures = [
        Figure("processing", f"{ext} process / bare ffmpeg", fig["ratio"], "×", r["ratio_target"])
        for ext, fig in r["speed"].items()
    ]
    loaded = r["loaded"]
    figures += [
        Figure(
            "processing",
            f"{loaded['files']} files {loaded['cores']} at a time / bare",
            loaded["ratio"],
            "×",
            r["ratio_target"],
        ),
        Figure("processing", "CPU-s, loaded / bare", loaded["cpu_ratio"], "×"),
    ]
    for name, label in (("long", "peak RSS, 60-min input"), ("song", "peak RSS, 4-min song")):
        figures.append(
            Figure("memory", label, r["rss"][name]["tree_peak_mb"], "MB", r["rss_targets_mb"][name])
        )
    return figures


def _throughput(r: dict[str, Any]) -> list[Figure]:
    figures = [
        Figure(
            "throughput",
            f"{r['tracks']} tracks, daemon / bare encodes {r['workers']} at a time",
            r["ratio"],
            "×",
            r["ratio_target"],
        ),
        Figure("throughput", "CPU-s, daemon / bare encodes", r["cpu_ratio"], "×"),
        Figure("throughput", "inbox → all filed", r["daemon_s"], "s"),
        Figure("throughput", "bare encodes, cores at a time", r["bare_parallel_s"], "s"),
    ]
    figures += [
        Figure("throughput", f"per track: {name}", value, "s")
        for name, value in r["steps_s"].items()
    ]
    return figures + _identity_on(r)


def _identity_on(r: dict[str, Any]) -> list[Figure]:
    """``bench.throughput --identity``'s figures, when the run had them."""
    on = r.get("identity_on") or {}
    if not on:
        return []
    return [
        Figure("throughput", "identity on / off, wall", on["wall_ratio_to_off"], "×"),
        Figure("throughput", "identity on / off, CPU-s", on["cpu_ratio_to_off"], "×"),
        Figure("throughput", "identity on, daemon / bare encodes", on["ratio_to_bare"], "×",
               r["ratio_target"]),
    ]  # fmt: skip


def _inbox_latency(r: dict[str, Any]) -> list[Figure]:
    return [
        Figure("inbox latency", "p50", r["all"]["p50_s"] * 1000, "ms"),
        Figure(
            "inbox latency",
            f"p95 ({r['samples']} samples)",
            r["all"]["p95_s"] * 1000,
            "ms",
            r["p95_target_s"] * 1000,
        ),
    ]


def _polling(r: dict[str, Any]) -> list[Figure]:
    size = f"{r['playlist_tracks']:,} vs {r['ledger_tracks']:,}"
    return [
        Figure("polling", f"diff unchanged, {size}", r["unchanged_ms"], "ms", r["target_ms"]),
        Figure("polling", f"diff 2 new 1 gone, {size}", r["changed_ms"], "ms", r["target_ms"]),
    ]


def _idle(r: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            "idle",
            f"CPU, {r['follows']} follows, {r['seconds']:.0f} s",
            r["cpu_pct"],
            "% core",
            r["cpu_target_pct"],
        ),
        Figure("idle", "RSS", r["rss_mb"], "MB"),
        Figure(
            "idle",
            "feed requests, first round",
            r["first_round_requests"],
            "",
            r["follows"],
            exact=True,
        ),
        Figure("idle", "requests while idle", r["idle_requests"], "", 0, exact=True),
        Figure(
            "idle",
            "requests per unchanged follow poll",
            r["requests_per_unchanged_poll"],
            "",
            1,
            exact=True,
        ),
    ]


def _startup(r: dict[str, Any]) -> list[Figure]:
    return [
        Figure("startup", "spotsyncd --help", r["help_s"] * 1000, "ms", r["help_target_s"] * 1000),
        Figure(
            "startup",
            "spotsyncd run → READY=1",
            r["ready_s"] * 1000,
            "ms",
            r["ready_target_s"] * 1000,
        ),
    ]


def _matching(r: dict[str, Any]) -> list[Figure]:
    return [
        Figure("matching", f"right, {r['cases']} cases", r["accuracy"] * 100, "%"),
        Figure("matching", "wrong picks", r["wrong_picks"], "", 0, exact=True),
        Figure("matching", "false rejections", r["false_rejections"], ""),
    ]


def _links(r: dict[str, Any]) -> list[Figure]:
    figures = [
        Figure("links", f"parse a {kind.replace('_', ' ')} link", r[f"{kind}_us"], "µs",
               r["target_us"] if kind == "youtube" else None)
        for kind in ("youtube", "youtube_music_album", "spotify", "other")
    ]  # fmt: skip
    figures.append(
        Figure(
            "links", "first YouTube link (imports yt-dlp)", r["first_youtube_link_s"] * 1000, "ms"
        )
    )
    return figures


def _web(r: dict[str, Any]) -> list[Figure]:
    size = f"{r['tracks']:,} tracks"
    return [
        Figure("web", f"GET /tracks?limit=100 p99, {size}", r["tracks_p99_ms"], "ms",
               r["tracks_target_ms"]),
        Figure("web", f"GET /status p99, {size}", r["status_p99_ms"], "ms", r["status_target_ms"]),
        Figure("web", f"GET /status after a change, p50, {size}", r["status_fresh_p50_ms"], "ms"),
        Figure("web", f"event → {r['clients']} /events clients, p95", r["fanout_p95_ms"], "ms",
               r["fanout_target_ms"]),
        Figure("web", f"idle CPU, web on, {r['idle_clients']} idle /events clients",
               r["idle_cpu_pct"], "% core", r["idle_cpu_target_pct"]),
        Figure("web", "RSS, web on vs off", r["extra_rss_mb"], "MB", r["extra_rss_target_mb"]),
        Figure("web", "spotsyncd run → READY=1, web on", r["ready_s"] * 1000, "ms",
               r["ready_target_s"] * 1000),
    ]  # fmt: skip


def _library(r: dict[str, Any]) -> list[Figure]:
    size = f"{r['tracks']:,} tracks"
    return [
        Figure("library", f"GET /library/albums?limit=120 p99, {r['albums']:,} albums, {size}",
               r["albums_p99_ms"], "ms", r["albums_target_ms"]),
        Figure("library", f"GET /library/albums?limit=120 after a change, p50, {size}",
               r["albums_fresh_p50_ms"], "ms"),
        Figure("library", "GET /library/albums?limit=120, answer size",
               r["albums_page_bytes"] / 1000, "KB"),
        Figure("library", f"GET /library/tracks?sort=title p99, {size}",
               r["tracks_by_title_p99_ms"], "ms", r["page_target_ms"]),
        Figure("library", f"GET /library/tracks?sort=title after a change, p50, {size}",
               r["tracks_by_title_fresh_p50_ms"], "ms"),
        Figure("library", f"GET /activity?limit=50 p99, {size}", r["activity_p99_ms"], "ms",
               r["page_target_ms"]),
        Figure("library", "GET /tracks/{key}/cover, first (ffmpeg)", r["cover_first_ms"], "ms"),
        Figure("library", "GET /tracks/{key}/cover, cached, p50", r["cover_cached_p50_ms"], "ms",
               r["cover_cached_target_ms"]),
    ]  # fmt: skip


def _identity(r: dict[str, Any]) -> list[Figure]:
    figures = [
        Figure("identity", f"{ext}: fingerprint CPU, % of the process step", row["extra_cpu_pct"],
               "%", r["cpu_target_pct"])
        for ext, row in r["formats"].items()
    ]  # fmt: skip
    figures += [
        Figure("identity", f"{ext}: a separate fingerprint process (stream copies), % of it",
               row["separate_cpu_pct"], "%")
        for ext, row in r["formats"].items()
    ]  # fmt: skip
    figures += [
        Figure("identity", f"{ext}: fingerprint instructions, % of the process step",
               row["extra_instructions_pct"], "%", r["cpu_target_pct"])
        for ext, row in r["formats"].items()
        if "extra_instructions_pct" in row
    ]  # fmt: skip
    figures.append(Figure("identity", "private memory (RssAnon) peak added by the fingerprint",
                          r["extra_private_mb"], "MB", r["rss_target_mb"]))  # fmt: skip
    figures.append(Figure("identity", "peak RSS added by the fingerprint (ffmpeg's shared code "
                          "pages included)", r["extra_peak_mb"], "MB",
                          r["rss_target_mb"]))  # fmt: skip
    return figures


def _lookups(r: dict[str, Any]) -> list[Figure]:
    shown = f"{r['playlist']} tracks' MusicBrainz and AcoustID lookups alone" + (
        f" (projected from {r['tracks']})" if r["projected"] else ""
    )
    return [
        Figure("lookups", shown, r["playlist_s"], "s", r["target_s"]),
        Figure("lookups", "closest two MusicBrainz requests", r["min_gap_s"] or 0.0, "s"),
    ]


def _imports(r: dict[str, Any]) -> list[Figure]:
    size = f"{r['entries']:,} entries"
    return [
        Figure("imports", f"YourLibrary.json, {size} → in the ledger", r["library_in_ledger_s"],
               "s", r["ledger_target_s"]),
        Figure("imports", f"Playlist1.json, {size} → in the ledger", r["playlists_in_ledger_s"],
               "s", r["ledger_target_s"]),
        Figure("imports", "CPU-s of the daemon until both were in the ledger",
               r["library_cpu_s"] + r["playlists_cpu_s"], "s"),
        Figure("imports", "YourLibrary.json → report file", r["library_report_s"], "s"),
        Figure("imports", "daemon peak RSS while reading them", r["peak_rss_mb"], "MB",
               r["rss_target_mb"]),
    ]  # fmt: skip


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    quick_argv: tuple[str, ...]
    headline: Callable[[dict[str, Any]], list[Figure]]


BENCHES = (
    Bench("processing", "bench.processing", ("--quick",), _processing),
    Bench("identity", "bench.identity", ("--quick",), _identity),
    Bench("lookups", "bench.lookups", ("--quick",), _lookups),
    Bench("throughput", "bench.throughput", ("--quick",), _throughput),
    Bench("inbox_latency", "bench.inbox_latency", ("--quick",), _inbox_latency),
    Bench("polling", "bench.polling", ("--quick",), _polling),
    Bench("idle", "bench.idle", ("--quick",), _idle),
    Bench("startup", "bench.startup", ("--quick",), _startup),
    Bench("matching", "bench.matching", (), _matching),  # 80 cases: already quick
    Bench("links", "bench.links", ("--quick",), _links),
    Bench("web", "bench.web", ("--quick",), _web),
    Bench("library", "bench.library", ("--quick",), _library),
    Bench("imports", "bench.imports", ("--quick",), _imports),
)


def run_benches(names: Sequence[str], quick: bool) -> tuple[list[Figure], dict[str, str]]:
    """Run the named benchmarks in order; their figures, and the error of each that failed."""
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    for bench in BENCHES:
        if bench.name not in names:
            continue
        print(f"\n=== {bench.name} ===", flush=True)
        started = time.monotonic()
        try:
            module = importlib.import_module(bench.module)
            result = module.main(list(bench.quick_argv) if quick else [])
            figures += bench.headline(result)
        except Exception as exc:  # noqa: BLE001 - one broken bench must not hide the others
            traceback.print_exc()
            errors[bench.name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        print(f"({bench.name} took {time.monotonic() - started:.0f} s)", flush=True)
    return figures, errors


def table(figures: Sequence[Figure], errors: dict[str, str], quick: bool = False) -> str:
    header = ["bench", "figure", "value", "target", "value ÷ target", "result"]
    rows = [header, ["---"] * len(header)] + [f.row(quick) for f in figures]
    rows += [[name, "error", error, "", "", "**error**"] for name, error in errors.items()]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def results_section(
    figures: Sequence[Figure],
    errors: dict[str, str],
    command: str,
    info: dict[str, Any],
    quick: bool = False,
) -> str:
    host = platform.node() or "unknown host"
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!-- bench-run: {host} {command} -->\n"
        f"## {date} · {host} · `{command}`\n\n"
        f"- machine: `{info['uname']}`\n"
        f"- cores: {info['cores']}, Python {info['python']}, load average before: "
        f"{info['load_average']}\n"
        f"- took {info['took_s']:.0f} s\n\n"
        f"{table(figures, errors, quick)}\n"
    )


def write_results(path: Path, section: str) -> None:
    """Add ``section`` to ``path``, replacing an earlier one of the same host and command."""
    marker = section.splitlines()[0]
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else (
            "# Benchmark results\n\nWritten by `python -m bench --write-results`; see"
            " docs/explanation/performance.md for what each figure means.\n"
        )
    )
    # A section runs from its marker to the next marker (or the end).
    pattern = re.compile(re.escape(marker) + r"\n.*?(?=^<!-- bench-run: |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    names = [bench.name for bench in BENCHES]
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny inputs, seconds in total")
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(names)}",
    )
    parser.add_argument("--write-results", action="store_true", help="add the run to RESULTS.md")
    parser.add_argument("--results", type=Path, default=RESULTS, help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    info = machine()
    print(
        f"{info['uname']}\n{info['cores']} cores, Python {info['python']}, "
        f"load average {info['load_average']}"
    )
    started = time.monotonic()
    figures, errors = run_benches(args.only or names, args.quick)
    info["took_s"] = time.monotonic() - started
    print("\n" + table(figures, errors, args.quick))
    if args.write_results:
        flags = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--write-results"]
        command = shlex.join(["python", "-m", "bench", *flags])
        write_results(args.results, results_section(figures, errors, command, info, args.quick))
        print(f"\nwritten to {args.results}")
    return {"figures": figures, "errors": errors, "machine": info}


if __name__ == "__main__":
    sys.exit(1 if main()["errors"] else 0)
