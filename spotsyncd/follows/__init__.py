"""Followed playlists: the APScheduler schedule, polls, diffs and the m3u8 playlists.

May import core, ledger, system, sources, matching and media; apscheduler lives only here.
"""
