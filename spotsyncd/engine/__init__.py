"""The running daemon: lifecycle, worker pool, the pipeline of one job, circuits, doctor checks.

May import every layer below it (follows, intake, sources, matching, media, ledger, system, core).
"""
