"""Run every CLI verb, in this one process, against the world set up by the caller, and write
what each did (exit code, stdout, stderr, or an exception that escaped) as JSON.

    python -m tests.cli.matrix_child SPEC.json RESULT.json

Used by test_main_error_boundary.py: one process per condition keeps the matrix fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path


def run(spec_path: Path, result_path: Path) -> None:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    import spotsyncd.ledger.db as db

    db.BUSY_TIMEOUT_MS = spec["busy_ms"]  # a locked ledger fails in 0.5 s, not 30 s
    from spotsyncd.cli.main import main

    results: dict[str, dict[str, object]] = {}
    for name, argv in spec["verbs"].items():
        out, err = io.StringIO(), io.StringIO()
        code: object
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: usage errors
                code = exc.code if isinstance(exc.code, int) else 2
            except BaseException:  # noqa: BLE001 - exactly what the test looks for
                code = "escaped"
                err.write(traceback.format_exc())
        results[name] = {"code": code, "out": out.getvalue()[-3000:], "err": err.getvalue()[-3000:]}
    result_path.write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    run(Path(sys.argv[1]), Path(sys.argv[2]))
