"""spotsyncd: keep a local music library in sync with links, playlists and feeds."""

__version__ = "0.1.0"
