"""Identity checks: three-factor (name, certificate, phone) and the business registry's
four-factor check (company name, USCC, legal representative's name and ID).

``local`` answers from the YAML registry (RXF_LOCAL_REGISTRY, default the demo file in
``adapters/local_data``); ``http`` posts to ``RXF_VERIFY_URL``/three-factor and
/four-factor with RXF_VERIFY_TIMEOUT. A slow check is the engine's business: the
dialog sets a hint first, and a step that overruns WeChat's window is answered later.

Results say which factor failed (for logs and operators); users are told only that the
information does not match, as the platform itself does.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from adapters.local_data import DEFAULT_REGISTRY, load_registry
from adapters.ports import Verifier, VerifyResult
from config.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["HttpVerifier", "LocalVerifier", "Verifier", "VerifyResult", "build_verifier"]


def _same_text(a: str, b: str) -> bool:
    """Names compare after NFKC, without spaces, with one form of brackets and dots."""
    def fold(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = text.replace("(", "（").replace(")", "）")
        return re.sub(r"[\s]+", "", re.sub("[·・•‧.]", "·", text))
    return fold(a) == fold(b)


def _number(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


class LocalVerifier:
    """Answers from the YAML registry. `synced` (the ticket desk's) stands for the
    platform's manual data sync of a resolved Q3 ticket: a legal representative the
    registry does not have yet passes once an operator resolved a ticket for exactly
    these four factors, so the demo can walk the manual's Q3 to the end."""

    def __init__(self, path: Path,
                 synced: Callable[[str, str, str, str], Awaitable[bool]] | None = None) -> None:
        self.path = path
        self.synced = synced
        self._loading = asyncio.Lock()

    async def _registry(self) -> Any:
        # One parse at a time, off the event loop: thirty users verifying at once right
        # after a start (or an edit of the file) must not parse the YAML thirty times.
        async with self._loading:
            return await asyncio.to_thread(load_registry, self.path)

    async def three_factor(self, name: str, cert_type: str, cert_number: str,
                           phone: str) -> VerifyResult:
        people, _ = await self._registry()
        number = _number(cert_number)
        person = next((p for p in people if p.id_number == number), None)
        failed = None
        if person is None:
            failed = "not_found"
        elif not _same_text(person.name, name):
            failed = "name"
        elif person.phone != phone:
            failed = "phone"
        if failed:
            log.info("three-factor check failed: %s", failed)
        return VerifyResult(failed is None, "three_factor", failed)

    async def four_factor(self, company: str, uscc: str, legal_rep: str,
                          legal_rep_id: str) -> VerifyResult:
        _, enterprises = await self._registry()
        code = _number(uscc)
        found = next((e for e in enterprises if e.uscc == code), None)
        failed = None
        if found is None:
            failed = "not_found"
        elif not _same_text(found.name, company):
            failed = "company"
        elif not _same_text(found.legal_rep, legal_rep):
            failed = "legal_rep"
        elif found.legal_rep_id != _number(legal_rep_id):
            failed = "legal_rep_id"
        if failed in ("legal_rep", "legal_rep_id", "company") and found is not None \
                and self.synced is not None \
                and await self.synced(company, code, legal_rep, _number(legal_rep_id)):
            return VerifyResult(True, "four_factor", region=found.region)
        if failed or found is None:
            log.info("four-factor check failed for %s: %s", code, failed)
            return VerifyResult(False, "four_factor", failed)
        return VerifyResult(True, "four_factor", region=found.region)


class HttpVerifier:
    """POST JSON; the answer is {"ok": bool, "failed": str?, "region": str?}."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    async def three_factor(self, name: str, cert_type: str, cert_number: str,
                           phone: str) -> VerifyResult:
        body = {"name": name, "cert_type": cert_type, "cert_number": cert_number,
                "phone": phone}
        return await self._call("three-factor", "three_factor", body)

    async def four_factor(self, company: str, uscc: str, legal_rep: str,
                          legal_rep_id: str) -> VerifyResult:
        body = {"company": company, "uscc": uscc, "legal_rep": legal_rep,
                "legal_rep_id": legal_rep_id}
        return await self._call("four-factor", "four_factor", body)

    async def _call(self, path: str, check: str, body: dict[str, str]) -> VerifyResult:
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as http, \
                    http.post(f"{self.url}/{path}", json=body) as resp:
                if resp.status >= 300:
                    log.warning("verification %s answered HTTP %s", check, resp.status)
                    return VerifyResult(False, check, "unavailable")
                data: Any = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("verification %s unreachable: %r", check, exc)
            return VerifyResult(False, check, "unavailable")
        if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
            log.warning("verification %s answered an unexpected body", check)
            return VerifyResult(False, check, "unavailable")
        if data["ok"]:
            return VerifyResult(True, check, region=str(data.get("region") or "") or None)
        return VerifyResult(False, check, str(data.get("failed") or "mismatch"))


def build_verifier(settings: Settings) -> Verifier:
    """The verifier the settings name: the HTTP service or the local YAML registry."""
    if settings.verify == "http":
        return HttpVerifier(settings.verify_url, settings.verify_timeout)
    return LocalVerifier(Path(settings.local_registry or DEFAULT_REGISTRY))
