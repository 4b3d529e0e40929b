"""Media servers (Navidrome/Subsonic, Jellyfin, Plex): HTTP clients, doctor checks, rescan debounce.

May import core and system (stdlib HTTP only, no outside library); handed a probe by the engine.
"""
