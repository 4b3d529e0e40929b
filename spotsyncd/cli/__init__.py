"""The command line: argument parsing, one module per command group, output and exit codes.

Each command module declares its verbs (``command.Command``) next to their handlers; ``main``
lists them, ``reference`` writes docs/reference/cli.md from them. ``--help`` builds the whole
parser, so at import time a command module imports only the standard library and this package.
May import anything inside the handlers, where the rest of spotsyncd is imported when needed.
"""
