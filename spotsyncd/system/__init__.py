"""The host: service units, sd_notify, the instance lock, logging, finding ffmpeg and deno, and
the project's own HTTP client (http.py: timeouts, User-Agent, size cap, the address check's hook).

May import core only (and requests, in http.py).
"""
