"""Config, models, errors and the protocols every layer shares.

The configuration is declared as pydantic models (config_sections, config_follows, config_media),
one field per key; docs/reference/configuration.md and config.example.yaml are written from them.
Imports nothing of spotsyncd's and no outside library but pyyaml and pydantic; no I/O at import.
"""
