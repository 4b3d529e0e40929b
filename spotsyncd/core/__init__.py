"""Config, models, errors and the protocols every layer shares.

Imports nothing of spotsyncd's and no outside library but pyyaml; does no I/O at import.
"""
