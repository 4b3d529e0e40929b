"""The state every process shares in scale-out, kept in the ledger so that the coordinator and
each worker see the same: ``circuits`` (each outside service's circuit), ``budgets`` (turns
under each source's rate budget), ``workers`` (remote workers' heart-beats and broker dispatch)
and ``source_health`` (the canaries' results per source).

May import the ledger's plumbing (base, schema, rows), ledger.tracks (jobs, event log) and core.
"""
