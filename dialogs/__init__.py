"""One module per conversation: declarative fields, prompts and validators, and what
completing it does; the registry of dialogs and the words and intents that start them.

Dialogs reach the outside only through the ports in `StepContext.ports`. May import
state_machines, knowledge (pure reading and number parsing) and adapters' port types
(adapters.platform_port, adapters.ports); never aiohttp, wechatpy or SQLAlchemy.
"""
