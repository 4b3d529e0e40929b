"""Follows and imported collections in the ledger: ``registry`` (``Follows``: the follows, their
polls and their items), ``diff`` (a poll's listing against the ledger, in SQL), ``files`` (which
of a follow's files pruning may delete), ``collections`` (imported playlists and libraries) and
``rows`` (the row types they hand out).

May import the ledger's plumbing (base, schema, dialects), ledger.tracks (the event log) and core.
"""
