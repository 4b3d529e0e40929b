"""Link lines to keys, the inbox watcher, and the reports written beside link files.

Watchdog lives only here; may import core, ledger, system, sources and matching (search keys).
"""
