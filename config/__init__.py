"""Settings from the environment (`config.settings`): the bottom layer, imported by
`adapters`, `bot` and everything above; imports none of the project's packages.
"""
