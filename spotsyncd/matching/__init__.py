"""Pure scoring of search candidates against a wanted track.

May import core only; no I/O.
"""
