"""The audio step (ffmpeg), tags (mutagen), covers, lyrics and safe filing into the library.

May import core and system; the only home of mutagen (no pydub: see audio.py).
"""
