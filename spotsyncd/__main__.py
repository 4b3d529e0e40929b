"""``python -m spotsyncd`` is the same as the ``spotsyncd`` command."""

from spotsyncd.cli.main import entry

entry()
