"""Zones, institutions, products and policies (placeholder until the demands work lands)."""

from typing import Any


def build_catalog(settings: Any) -> Any:
    return None
