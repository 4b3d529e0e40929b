"""What a check reports: ``Check``, the one result shape of ``spotsyncd doctor``.

Its own module because every group of checks yields it (doctor.py for the set-up, doctor_scale.py
for the database, broker and workers, webcheck.py for the dashboard) and doctor.py gathers the
groups: with ``Check`` defined in doctor.py, each group imported the module that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it stands, what was found and how to fix it."""

    name: str
    status: str  # "ok" | "warn" | "fail"
    detail: str
    fix: str = ""
