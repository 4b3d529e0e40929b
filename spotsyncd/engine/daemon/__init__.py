"""The daemon: one process that starts every part in order, keeps them alive and stops them.

lifecycle.py is the ``Daemon`` (start order, main loop, heartbeat, signals, stop); services.py
names the parts it runs; reload.py applies a new configuration on SIGHUP; housekeeping.py holds
the chores around them (staging left by a crash, runtime.json, the library check, warm-up). Its
modules log under this package's name, ``spotsyncd.engine.daemon``, whichever writes the line.

May import every other engine package and the layers below engine.
"""

from spotsyncd.engine.daemon.lifecycle import Daemon

__all__ = ["Daemon"]
