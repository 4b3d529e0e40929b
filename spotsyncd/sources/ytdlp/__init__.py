"""The conversation with yt-dlp: downloads and listings of any site it knows, YouTube search,
which YouTube link is which.

May import core and system; the only home of yt_dlp.
"""
