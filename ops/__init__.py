"""Operator surfaces of the bot: what people running the service use.

`ops.actions` is the one operator layer (each action written once, audited) that both the
`python -m bot` commands and the web console call; `ops.console` is the web console;
`ops.tables` holds the operator tables. May import adapters, bot and dialogs helpers
(masking, texts); nothing in adapters, bot or dialogs imports ops, except the places
that register it (server.py, the CLI parser).
"""
