"""The audio step (ffmpeg), covers, lyrics and safe filing into the library; tags/ holds the
tags (mutagen).

May import core and system; no pydub (see audio.py).
"""
