"""A fake WeChat Official Account API server, so local runs and tests see what the bot sends.

It speaks the real API's JSON conventions (errors are HTTP 200 with
`{"errcode": N, "errmsg": "..."}`) on the paths the bot uses below `cgi-bin/`, records
every customer-service message, template message, menu and QR code it accepts, and lets
tests inject failures (errcodes, HTTP errors, delays) and expire access tokens.

This module holds the state and the Python control API; the HTTP routes are in
devtools/fake_wechat_routes.py, the request rules in devtools/fake_wechat_checks.py, the token
rules in devtools/fake_wechat_tokens.py and the templates in devtools/fake_wechat_templates.py.

Mount it beside the bot (`main_app.add_subapp("/fake-wechat/", build_app(fake))` with
`build_app` from devtools/fake_wechat_routes.py, then
RXF_WECHAT_API_BASE=http://host:port/fake-wechat/cgi-bin/) or run it alone with its
`run_standalone`. The chat simulator follows what was sent through the long-poll
`GET _sent?after=<next_after>&wait=20`.

Customer-service quotas are counted as WeChat counts them (docs/wechat.md): whoever plays
WeChat's delivering side (devtools/sim.py) reports each user action to `POST _inbound`
(`user_acted`); a user the fake has heard nothing of has no window (45015).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from devtools.fake_wechat_checks import ApiError
from devtools.fake_wechat_media import MediaBook
from devtools.fake_wechat_templates import FakeTemplate, TemplateBook
from devtools.fake_wechat_tokens import TokenStore

log = logging.getLogger(__name__)

# Endpoint names, relative to cgi-bin/: the keys of `calls` and the targets of faults.
ENDPOINTS = (
    "token", "stable_token", "message/custom/send", "message/template/send",
    "menu/create", "menu/get", "menu/delete", "qrcode/create", "user/info",
    "template/get_all_private_template", "media/get",
)


@dataclass
class SentRecord:
    """One call the fake WeChat accepted (custom message, template, menu or QR code): the
    bot's JSON body and WeChat's answer, for tests and the chat to read."""

    id: int
    kind: str  # "custom" | "template" | "menu" | "qrcode"
    touser: str | None
    payload: dict[str, Any]  # the JSON body the bot posted
    at: float  # time.time() when accepted
    result: dict[str, Any] = field(default_factory=dict)  # template msgid, QR ticket/url


@dataclass
class Fault:
    """A failure the fake WeChat plays on the next `count` calls of `endpoint` ("*": any):
    an errcode, an HTTP status, and/or a delay."""

    endpoint: str  # an ENDPOINTS name or "*"
    errcode: int | None = None
    http_status: int | None = None
    delay: float = 0.0
    count: int = 1  # calls left to hit


# WeChat's own table, kept apart from the bot's (bot/cs_quota.py) on purpose: the fake
# is the check on it. (messages allowed, seconds they last)
MESSAGE_QUOTA = (5, 48 * 3600.0)
EVENT_QUOTA = (3, 60.0)
QUOTA_EVENTS = frozenset({"click", "scancode_push", "scancode_waitmsg", "subscribe", "scan"})


@dataclass
class FakeUser:
    """What the fake WeChat knows of one user: following or not, and the customer-service
    window their latest action opened (messages left, until when)."""

    subscribed: bool = True
    # The customer-service window of the user's latest action: messages left, and until
    # when (window clock). Nothing heard of the user: no window.
    quota_left: int = 0
    quota_until: float = 0.0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _record_id(record: SentRecord) -> int:
    return record.id


def normalize_endpoint(endpoint: str) -> str:
    """Accept "message/template/send", "/cgi-bin/message/template/send" or "*"."""
    name = endpoint.strip().lstrip("/").removeprefix("cgi-bin/")
    if name != "*" and name not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; use '*' or one of {ENDPOINTS}")
    return name


class FakeWeChat:
    """In-memory WeChat API state; `app()` serves it over HTTP."""

    def __init__(
        self,
        *,
        appid: str = "wxfake0000000000",
        secret: str = "fake-secret",
        token_ttl: int = 7200,
        max_records: int = 100_000,
        templates: Iterable[FakeTemplate] | None = None,
        grace_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        window_clock: Callable[[], float] | None = None,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.max_records = max_records
        # None accepts any non-empty template_id; once it holds templates, an unknown id
        # answers 40037 and values are checked against the template's keywords.
        self.templates = TemplateBook(templates, clock)
        self.records: list[SentRecord] = []
        self.token_fetches = 0
        self.calls: dict[str, int] = {}
        self.users: dict[str, FakeUser] = {}
        self.menu: dict[str, Any] | None = None
        self.faults: list[Fault] = []
        self.tokens = TokenStore(ttl=token_ttl, clock=clock, grace_seconds=grace_seconds)
        # Customer-service windows last 48 hours: a test moves this clock, not the token one.
        self.window_clock = window_clock or clock
        self.media = MediaBook(self.window_clock)  # users' pictures (media/get)
        self._next_id = 1  # never reset, so a poller's `after` stays meaningful
        self._waiters: set[asyncio.Future[None]] = set()

    # --- control API for tests and demos -----------------------------------------------

    def add_fault(
        self,
        endpoint: str,
        *,
        errcode: int | None = None,
        http_status: int | None = None,
        delay: float = 0.0,
        count: int = 1,
    ) -> None:
        """Queue a fault for the next `count` calls of `endpoint` (FIFO per endpoint).

        The delay comes first (so clients can time out), then `http_status` (plain-text
        body, or JSON when errcode is given too), else `errcode`. Faulted calls record
        nothing; a delay-only fault then handles the call normally.
        """
        name = normalize_endpoint(endpoint)
        if not _is_int(count) or count < 1:
            raise ValueError("count must be an integer >= 1")
        if (
            isinstance(delay, bool) or not isinstance(delay, (int, float))
            or not math.isfinite(delay) or delay < 0
        ):
            raise ValueError("delay must be a number of seconds >= 0")
        if http_status is not None and (
            not _is_int(http_status) or not 100 <= http_status <= 599
        ):
            raise ValueError("http_status must be an integer 100-599")
        if errcode is not None and (not _is_int(errcode) or errcode == 0):
            raise ValueError("errcode must be a non-zero integer (0 is success: omit it)")
        if errcode is None and http_status is None and not delay:
            raise ValueError("a fault needs errcode, http_status or delay")
        self.faults.append(Fault(name, errcode, http_status, float(delay), count))

    def expire_tokens(self, errcode: int = 40001) -> None:
        """Make every issued token answer `errcode` (40001 invalid, or 42001 expired)."""
        self.tokens.expire_all(errcode)

    def set_user(self, openid: str, *, subscribed: bool = True, window_open: bool = True) -> None:
        """window_open: as if the user had just written (5 messages within 48 hours);
        False: no window at all."""
        user = FakeUser(subscribed)
        if window_open:
            self._open(user, MESSAGE_QUOTA)
        self.users[openid] = user

    def user_acted(self, openid: str, msg_type: str, event: str = "") -> FakeUser:
        """A user action WeChat delivered: a message opens 5 within 48 hours; a click, a
        subscribe or a scan 3 within a minute, replacing what was left; other events
        open nothing. (Un)subscribing also changes the follower state."""
        user = self.users.setdefault(openid, FakeUser())
        event = event.lower()
        if msg_type != "event":
            self._open(user, MESSAGE_QUOTA)
        elif event in QUOTA_EVENTS:
            self._open(user, EVENT_QUOTA)
        if msg_type == "event" and event in ("subscribe", "unsubscribe"):
            user.subscribed = event == "subscribe"
        return user

    def take_custom_quota(self, openid: str) -> None:
        """Spend one customer-service message, or ApiError 45015 (no window, or not
        following) / 45047 (window used up)."""
        user = self.users.get(openid)
        if user is None or not user.subscribed or self.window_clock() >= user.quota_until:
            raise ApiError(45015)
        if user.quota_left <= 0:
            raise ApiError(45047)
        user.quota_left -= 1

    def _open(self, user: FakeUser, quota: tuple[int, float]) -> None:
        user.quota_left, user.quota_until = quota[0], self.window_clock() + quota[1]

    def add_template(self, template_id: str, title: str, content: str) -> None:
        """Add (or replace) a template as the back office would: `content` names the
        keywords, e.g. "单据号：{{character_string1.DATA}}\n企业：{{thing2.DATA}}"."""
        self.templates.add(FakeTemplate(template_id, title, content))

    def remove_template(self, template_id: str) -> bool:
        """Delete a template from the account, as an operator would; False if it was not there."""
        return self.templates.remove(template_id)

    def issue_token(self) -> str:
        """A valid access token without an HTTP round trip (not counted as a fetch)."""
        return self.tokens.issue()[0]

    def sent(self, kind: str | None = None, touser: str | None = None) -> list[SentRecord]:
        """The accepted calls, optionally of one kind and to one user, oldest first."""
        return [
            r for r in self.records
            if (kind is None or r.kind == kind) and (touser is None or r.touser == touser)
        ]

    def reset(self) -> None:
        """Forget everything except the record id counter (pollers keep their place)."""
        self.records.clear()
        self.token_fetches = 0
        self.calls.clear()
        self.users.clear()
        self.menu = None
        self.faults.clear()
        self.tokens.clear()
        self.templates.clear_sent()  # the account's templates stay, as on WeChat

    def stats(self) -> dict[str, Any]:
        """Counters and state for tests and /debug: token fetches, calls, records, faults, users,
        menu."""
        return {
            "token_fetches": self.token_fetches,
            "calls": dict(self.calls),
            "records": len(self.records),
            "last_id": self._next_id - 1,
            "pending_faults": [asdict(f) for f in self.faults],
            "users": {k: asdict(v) for k, v in self.users.items()},
            "menu": self.menu,
        }

    async def wait_records(
        self,
        *,
        after: int = 0,
        touser: str | None = None,
        kind: str | None = None,
        limit: int = 1000,
        wait: float = 0.0,
        stop: Callable[[], bool] = lambda: False,
    ) -> tuple[list[SentRecord], int]:
        """Records with id > after matching the filters, waiting up to `wait` seconds
        for one to arrive; also the `after` to use next time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            found, next_after = self.select(after, touser, kind, limit)
            remaining = deadline - loop.time()
            if found or remaining <= 0 or stop():
                return found, next_after
            # A fresh future per wait keeps this usable from any event loop (tests run
            # one loop per test), unlike a Condition created once in __init__.
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                self._waiters.discard(waiter)

    # --- used by the routes --------------------------------------------------------------

    def record(
        self, kind: str, touser: str | None, payload: dict[str, Any],
        result: dict[str, Any] | None = None,
    ) -> SentRecord:
        """Keep an accepted call (bounded to `max_records`) and wake whoever waits for records."""
        record = SentRecord(self._next_id, kind, touser, payload, time.time(), result or {})
        self._next_id += 1
        self.records.append(record)
        overflow = len(self.records) - self.max_records
        if overflow > 0:
            del self.records[:overflow]  # bounded memory on long local runs
        log.info("fake WeChat accepted %s #%d for %s", kind, record.id, touser or "-")
        self.wake()
        return record

    def wake(self) -> None:
        """Release every waiter of `wait_records`."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def take_fault(self, endpoint: str) -> Fault | None:
        """The fault to play on this call of `endpoint`, counted down; None when there is none."""
        for index, fault in enumerate(self.faults):
            if fault.endpoint in (endpoint, "*"):
                fault.count -= 1
                if fault.count <= 0:
                    del self.faults[index]
                return fault
        return None

    def select(
        self, after: int, touser: str | None, kind: str | None, limit: int
    ) -> tuple[list[SentRecord], int]:
        """Records after id `after` (optionally for one user and of one kind), at most `limit`,
        and the id a poller should continue after."""
        found: list[SentRecord] = []
        start = bisect_right(self.records, after, key=_record_id)
        for record in self.records[start:]:
            if (touser is None or record.touser == touser) and (
                kind is None or record.kind == kind
            ):
                found.append(record)
                if len(found) >= limit:
                    return found, record.id
        return found, max(after, self._next_id - 1)

    def user(self, openid: str) -> FakeUser:
        """What the fake knows of `openid` (an unknown user follows, with no window open)."""
        # Unknown users count as followers (templates reach them) without a window.
        return self.users.get(openid) or FakeUser()

    def grant(
        self, grant_type: Any, appid: Any, secret: Any, *, stable: bool, force: bool
    ) -> dict[str, Any]:
        """The token/stable_token answer, or ApiError for bad credentials."""
        if not appid:
            raise ApiError(41002)
        if not secret:
            raise ApiError(41004)
        if grant_type != "client_credential":
            raise ApiError(40002)
        if appid != self.appid:
            raise ApiError(40013)
        if secret != self.secret:
            raise ApiError(40125)
        token, expires_in = (
            self.tokens.stable(force_refresh=force) if stable else self.tokens.issue()
        )
        self.token_fetches += 1
        return {"access_token": token, "expires_in": expires_in}
