"""Playlist files and library exports as input: M3U/M3U8, PLS, XSPF, JSPF, CSV exports (Exportify,
TuneMyMusic, Google Takeout, plain ``artist,title``) and Spotify's account data export.

Each format is recognised by its content (the extension only breaks ties), read into plain
:class:`~spotsyncd.intake.playlists.entries.Entry` values, and each entry becomes a link or a
reason. Pure functions over bytes, no network and no file but the one given.

May import core, matching and the rest of intake.
"""
