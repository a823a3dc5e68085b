"""Operator surfaces: what the people running the bot use, over the bot's own parts.

- ops.actions: the one operator layer; the `python -m bot` commands and the web console
  both call it, so an action is written once.

May import bot, dialogs, knowledge and adapters; none of those import ops.
"""
