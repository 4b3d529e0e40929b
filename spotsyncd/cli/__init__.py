"""The command line: argument parsing, one module per command group, output and exit codes.

May import anything; modules are imported only when their command runs, so --help stays fast.
"""
