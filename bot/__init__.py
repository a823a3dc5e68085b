"""The runtime core: the webhook transport, the exactly-once handler, the router and the
global commands, the per-user store and locks, the push worker; and beside it the
operator surfaces (CLI) and dev tools (fake WeChat API, chat simulator).

May import dialogs, state_machines, adapters and knowledge; none of them imports bot.
"""
