"""``python -m spotsyncd`` is the same as the ``spotsyncd`` command."""

import sys

from spotsyncd.cli.main import main

sys.exit(main())
