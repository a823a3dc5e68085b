"""`python -m bot …`: the parser (`parser.py`) and one module per family of commands.

Commands build a runtime through the composition root (`wiring`) and act through
`ops.actions`, the layer the console shares.
"""
