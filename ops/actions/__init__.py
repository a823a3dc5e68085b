"""Operator actions, each written once and called by the CLI and the web console alike.

Each action checks its input, does its work in one transaction where it can and writes
an audit line (ops/actions/audit.py). Refusals raise `Refused` with a Chinese message
the caller shows as it is.
"""


class Refused(Exception):
    """An operator action refused, with the reason to show (Simplified Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
