"""Media servers (Navidrome/Subsonic, Jellyfin, Plex): HTTP clients, doctor checks, rescan debounce.

May import core and system (HTTP goes through system/http.py); handed a probe by the engine.
"""
