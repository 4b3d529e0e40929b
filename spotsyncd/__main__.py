"""``python -m spotsyncd`` is the same as the ``spotsyncd`` command."""

import sys

from .cli import main

sys.exit(main())
