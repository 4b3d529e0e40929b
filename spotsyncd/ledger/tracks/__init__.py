"""Tracks, their jobs and what is filed: ``intake`` (links, collections and inbox files becoming
tracks with jobs), ``jobs`` (the queue: claims, finishing, back-off), ``identities`` (MusicBrainz
and AcoustID answers), ``event_log``, ``reports`` (inbox files' reports), ``browse`` and
``library`` (reads for the CLI and the dashboard), ``filed`` (library paths and moves) and
``recordings`` (is a filed file the same recording).

May import the ledger's plumbing (base, schema, dialects, rows) and core.
"""
