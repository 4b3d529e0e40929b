"""YouTube Music through ytmusicapi: song search, artists' and albums' catalogues.

May import core and system; the only home of ytmusicapi.
"""
