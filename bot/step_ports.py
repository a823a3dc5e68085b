"""Per-step view of the ports: the user's profile is read once per step, not once per
question asked about it (dialogs ask it many times; each read is a query).

Safe because a user's profile only changes through that user's own steps, which run one
at a time under the user lock; any other platform call in the step forgets the copy, so
a step that registers or certifies reads the fresh profile afterwards.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.platform_port import Profile
from adapters.ports import Ports


class StepPlatform:
    """The platform for one step (this module's docstring): the profile read once and kept,
    every other call passed through and forgetting the kept profile."""

    def __init__(self, platform: Any) -> None:
        self._platform = platform
        self._profiles: dict[str, Profile] = {}

    async def profile(self, openid: str) -> Profile:
        """The user's profile, read from the platform on the step's first ask only."""
        cached = self._profiles.get(openid)
        if cached is None:
            cached = self._profiles[openid] = await self._platform.profile(openid)
        return cached

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._platform, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._profiles.clear()
            return attr(*args, **kwargs)

        return call


def for_step(ports: Ports) -> Ports:
    if ports.platform is None:
        return ports
    return dataclasses.replace(ports, platform=StepPlatform(ports.platform))
