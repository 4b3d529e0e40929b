"""Link lines to keys, the inbox watcher, and the reports written beside link files.

May import core, ledger, system and sources (link recognition); watchdog lives only here.
"""
