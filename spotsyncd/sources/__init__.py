"""Where metadata and audio come from: Spotify, YouTube Music, YouTube and other yt-dlp sites.

May import core and system; the only home of yt_dlp, spotipy and ytmusicapi.
"""
