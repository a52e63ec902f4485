"""`checkin-bot <command>`: one module per command, each adding its own argparse sub-command.

A module here exposes `register(commands)`, which adds a parser with `set_defaults(run=...)`; the
function gets the parsed arguments and returns the process exit code. Commands share `common`:
config loading, the data key, opening storage and the one-line error that exits 2.
"""
