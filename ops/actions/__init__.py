"""The operator actions: one function per thing an operator does, shared by the command
line (bot/cli_*.py) and the web console. Each takes the adapter it needs (a store),
returns plain data and raises an `ActionError` whose message is shown as it is."""
