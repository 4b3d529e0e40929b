"""The host: service units, sd_notify, the instance lock, logging, and finding ffmpeg and deno.

May import core only.
"""
