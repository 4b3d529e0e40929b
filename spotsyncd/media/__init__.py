"""The audio step (ffmpeg), tags (mutagen), covers and safe filing into the library.

May import core and system; the only home of mutagen and pydub.
"""
