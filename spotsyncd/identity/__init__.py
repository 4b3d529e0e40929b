"""Who a track is: its MusicBrainz recording and release, and whether the audio filed is that
recording (a Chromaprint fingerprint looked up on AcoustID).

The clients wait their turn on a rate budget (``pacing.Turn``: MusicBrainz allows one request
per second per client IP) and never raise for a service's trouble: a service that is down,
slow or refusing makes a track ``unverified``, never slower or failed. The answers are cached
through ``core.protocols.LookupCache`` (the ledger).

May import ``system/`` and ``core/`` only.
"""
