"""The families of commands beyond the core ones: each module declares its subcommands
(`add_parsers`) and runs them (`dispatch`, None when a command is not its own)."""

from __future__ import annotations

from ops.cli import accounts, demands, operators, templates, tickets

FAMILIES = (accounts, demands, operators, templates, tickets)
