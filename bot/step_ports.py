"""Per-step view of the ports: the user's profile is read once per step, not once per
question asked about it (dialogs ask it many times; each read is a query).

Safe because a user's profile only changes through that user's own steps, which run one
at a time under the user lock; any other platform call in the step forgets the copy, so
a step that registers or certifies reads the fresh profile afterwards.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from adapters.platform_port import (
    Account,
    AccountDeleted,
    AuthorisationInput,
    Consent,
    Demand,
    DemandInput,
    Enterprise,
    EnterpriseInput,
    LoginResult,
    Page,
    PersonalData,
    PersonCert,
    Platform,
    Profile,
    RegisterInput,
)
from adapters.ports import Ports


class StepPlatform:
    """The platform for one step (this module's docstring): the profile read once and kept,
    every other call passed through and forgetting the kept profile. Implements
    adapters.platform_port.Platform by delegating each call to the real platform."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._profiles: dict[str, Profile] = {}

    async def profile(self, openid: str) -> Profile:
        """The user's profile, read from the platform on the step's first ask only."""
        cached = self._profiles.get(openid)
        if cached is None:
            cached = self._profiles[openid] = await self._platform.profile(openid)
        return cached

    def _through(self) -> Platform:
        """The real platform, for a call after which the kept profile may be stale."""
        self._profiles.clear()
        return self._platform

    async def check_available(self, *, phone: str | None = None,
                              uscc: str | None = None) -> None:
        """Platform.check_available."""
        await self._through().check_available(phone=phone, uscc=uscc)

    async def register(self, openid: str, data: RegisterInput, idem_key: str) -> Account:
        """Platform.register."""
        return await self._through().register(openid, data, idem_key)

    async def certify_person(self, openid: str, cert: PersonCert, idem_key: str) -> PersonCert:
        """Platform.certify_person."""
        return await self._through().certify_person(openid, cert, idem_key)

    async def certify_enterprise(self, openid: str, data: EnterpriseInput, region: str,
                                 idem_key: str) -> Enterprise:
        """Platform.certify_enterprise."""
        return await self._through().certify_enterprise(openid, data, region, idem_key)

    async def sign_authorisation(self, openid: str, enterprise_id: str,
                                 data: AuthorisationInput, idem_key: str) -> Enterprise:
        """Platform.sign_authorisation."""
        return await self._through().sign_authorisation(openid, enterprise_id, data, idem_key)

    async def switch_enterprise(self, openid: str, enterprise_id: str) -> Profile:
        """Platform.switch_enterprise."""
        return await self._through().switch_enterprise(openid, enterprise_id)

    async def record_consent(self, openid: str, version: str, agreed_at: datetime,
                             idem_key: str) -> Consent:
        """Platform.record_consent."""
        return await self._through().record_consent(openid, version, agreed_at, idem_key)

    async def consents(self, openid: str) -> tuple[Consent, ...]:
        """Platform.consents."""
        return await self._through().consents(openid)

    async def personal_data(self, openid: str) -> PersonalData:
        """Platform.personal_data."""
        return await self._through().personal_data(openid)

    async def delete_account(self, openid: str, idem_key: str) -> AccountDeleted:
        """Platform.delete_account."""
        return await self._through().delete_account(openid, idem_key)

    async def check_login(self, scene: str) -> LoginResult:
        """Platform.check_login."""
        return await self._through().check_login(scene)

    async def decide_login(self, openid: str, scene: str, approve: bool) -> LoginResult:
        """Platform.decide_login."""
        return await self._through().decide_login(openid, scene, approve)

    async def save_demand(self, openid: str, enterprise_id: str, data: DemandInput, *,
                          submit: bool, idem_key: str, draft_no: str | None = None) -> Demand:
        """Platform.save_demand."""
        return await self._through().save_demand(openid, enterprise_id, data, submit=submit,
                                                 idem_key=idem_key, draft_no=draft_no)

    async def list_demands(self, openid: str, enterprise_id: str, *, status: str | None,
                           page: int, size: int) -> Page[Demand]:
        """Platform.list_demands."""
        return await self._through().list_demands(openid, enterprise_id, status=status,
                                                  page=page, size=size)

    async def demand(self, openid: str, demand_no: str) -> Demand:
        """Platform.demand."""
        return await self._through().demand(openid, demand_no)

    async def withdraw(self, openid: str, demand_no: str, idem_key: str) -> Demand:
        """Platform.withdraw."""
        return await self._through().withdraw(openid, demand_no, idem_key)

    async def close(self) -> None:
        """Nothing to release: the real platform belongs to the runtime, which closes it."""


def for_step(ports: Ports) -> Ports:
    """The ports of one step: the same, with the platform behind a StepPlatform."""
    if ports.platform is None:
        return ports
    return dataclasses.replace(ports, platform=StepPlatform(ports.platform))
