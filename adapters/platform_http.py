"""The platform port over the platform's REST API (placeholder until the demands work)."""

from typing import Any


class HttpPlatform:
    def __init__(self, settings: Any) -> None:
        raise NotImplementedError("RXF_PLATFORM=http arrives with the demands work")
