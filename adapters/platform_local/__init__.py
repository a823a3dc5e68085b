"""The local (embedded) platform: the `Platform` port on our own database.

Accounts and certification live in `accounts.py`, demands and their lifecycle in
`demands.py`, consents and the copy of a user's data in `privacy.py`, 注销 in
`erase.py`; all share the state set up in `base.py`.
"""

from __future__ import annotations

from adapters.platform_local.accounts import AccountsMixin
from adapters.platform_local.base import LocalBase
from adapters.platform_local.demand_institutions import InstitutionDemandsMixin
from adapters.platform_local.erase import EraseMixin
from adapters.platform_local.privacy import PrivacyMixin


class LocalPlatform(AccountsMixin, PrivacyMixin, InstitutionDemandsMixin, EraseMixin,
                    LocalBase):
    """The platform port (adapters.platform_port.Platform) on our own database: the embedded
    mode, and the platform behind the tests' fake REST API."""


__all__ = ["LocalPlatform"]
