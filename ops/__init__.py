"""Operator surfaces: what the platform's staff use beside the chat.

`ops.actions` is the one operator layer (list, show, resolve …) that both the command
line and the web console call; the surfaces format and never reach the tables
themselves. May import adapters, state_machines and dialogs' pure helpers; nothing here
imports aiohttp handlers of the bot.
"""
