"""Builds the ports dialogs talk through, chosen by settings (local | http)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.ports import Ports
from config.settings import Settings


def build_ports(settings: Settings, sessions: async_sessionmaker[AsyncSession],
                cipher: DataCipher, clock: Callable[[], datetime], faq: Any,
                runner: PhaseRunner | None = None) -> Ports:
    from adapters.catalog import build_catalog
    from adapters.sms import build_sms
    from adapters.verify import build_verifier

    catalog = build_catalog(settings)
    if settings.platform == "http":
        from adapters.platform_http import HttpPlatform

        platform: Any = HttpPlatform(settings)
    else:
        from adapters.local_data import load_catalog
        from adapters.platform_local import LocalPlatform

        platform = LocalPlatform(sessions, cipher, load_catalog(), clock, runner)
    sms = build_sms(settings, sessions, cipher, clock, runner)
    return Ports(faq=faq, platform=platform, sms=sms,
                 verify=build_verifier(settings), catalog=catalog)
