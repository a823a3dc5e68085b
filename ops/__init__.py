"""Operator surfaces: the command line (`ops.cli`), the web console (`ops.console`) and
the one operator layer both call (`ops.actions`), so an action cannot differ between them.

Layers inside, top down: `cli` → `console` → `actions`; all may import the composition
root (`wiring`) and everything below it. Nothing imports `ops` but the entry points
(`bot/__main__.py`, and `wiring/serve.py`, which starts the console beside the webhook).
docs/architecture.md has the whole picture.
"""
