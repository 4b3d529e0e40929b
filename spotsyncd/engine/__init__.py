"""The running daemon and the commands that inspect it, split by role into five packages and a
module, each importing only those below it (the layers contract in pyproject.toml):

- ``daemon/``: the process: start order, signals, heartbeat, reload, stop, housekeeping;
- ``health/``: checks and the user commands that inspect or repair (doctor, status and why,
  verify, retag);
- ``scaleout/``: ``queue.backend: celery``: the broker, the coordinator's dispatcher, the remote
  worker;
- ``jobs/``: one job from claim to filed (the pipeline, its stages, the matcher), the local
  worker pool and the foreground run behind ``get``;
- ``resilience/``: what keeps it working unattended: circuits, the offline watch, outages,
  alerts;
- ``wiring.py``: the one place that builds the adapters from the configuration.

May import every layer below it (follows, intake, sources, matching, media, ledger, system, core).
"""
