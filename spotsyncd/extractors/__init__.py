"""Keeping yt-dlp fresh, safely: newer releases found and installed with pip into a folder
under the state dir (the installed environment is never touched), tried in a subprocess
(import, version, a canary extraction of recent downloads), switched to between jobs and rolled
back when they fail where the old one worked.

May import sources, ledger, system and core.
"""
