"""Demands and their lifecycle on the local platform."""


class DemandsMixin:
    pass
