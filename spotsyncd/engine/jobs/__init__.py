"""One job from claim to filed: the pipeline and its stages, the matcher, the local worker
pool, the foreground run behind ``get``, and ``JobRunner`` (runner.py), the face the daemon
sees of the pool or of the Celery dispatcher.

May import engine.resilience, engine.wiring and the layers below engine.
"""
