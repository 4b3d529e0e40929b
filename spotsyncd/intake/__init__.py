"""Link lines to keys, the inbox watcher, and the reports written beside link files.

May import core, ledger, system, sources (link recognition) and matching (search-line keys);
watchdog lives only here.
"""
