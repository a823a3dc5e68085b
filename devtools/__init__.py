"""Development tools: the fake WeChat API (as strict as WeChat, docs/wechat.md), the
terminal chat simulator, the dev-only HTTP routes and the dialog diagrams.

May import `bot`, `dialogs`, `adapters`, `knowledge` and `config`; the runtime core never
imports these (only the composition root mounts the fake and the dev routes, in dev).
"""
