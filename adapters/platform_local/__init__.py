"""The local (embedded) platform: the `Platform` port on our own database.

Accounts and certification live in `accounts.py`, demands and their lifecycle in
`demands.py`; both share the state set up in `base.py`.
"""

from __future__ import annotations

from adapters.platform_local.accounts import AccountsMixin
from adapters.platform_local.base import LocalBase
from adapters.platform_local.demands import DemandsMixin


class LocalPlatform(AccountsMixin, DemandsMixin, LocalBase):
    pass


__all__ = ["LocalPlatform"]
