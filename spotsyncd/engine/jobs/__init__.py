"""One job from claim to filed: the pipeline and its stages, the matcher, the local worker
pool and the foreground run behind ``get``.

May import the layers below engine and engine.resilience.
"""
