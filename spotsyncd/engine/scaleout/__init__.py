"""Scale-out: the Celery queue (the only module that imports celery and kombu), the
coordinator's dispatcher and the remote worker.

May import engine.jobs, engine.resilience, engine.wiring and the layers below engine.
"""
