"""access_token issuing and checking for the fake WeChat API.

Mirrors the real rules (docs/wechat.md, "Access tokens", and the getStableAccessToken
docs) closely enough that token-refresh bugs show up locally:

* `cgi-bin/token` issues a new token on every call; the previous ones keep working for
  a grace period (5 min on WeChat) and then answer 40001 "not latest".
* `cgi-bin/stable_token` is a separate pool: normal mode returns the same token while it
  is valid, with `expires_in` = remaining seconds; within the last `renew_before` seconds
  it hands out a new one early (both stay valid). `force_refresh` issues a new token and
  the previous one answers 40001 at once (WeChat: "会导致上次获取的access_token失效").
  Force refreshes are allowed 20 a day (Beijing day) and 30 s apart: beyond the day's
  allowance WeChat answers 45009; a second one within 30 s answers 45011 here (WeChat
  documents the rule, not its errcode; an error is the strict reading).
* Past its lifetime a token answers 42001. `expire_all` makes every issued token answer
  the errcode given (40001 by default): a token invalidated that way stays WeChat's
  current stable token, so normal mode hands it out again and only a force refresh
  replaces it; one expired that way (42001) is replaced by normal mode.
* `advance` moves the store's clock (lifetimes, the 30 s spacing and the day), and
  `reset_force_allowance` forgets the day's force refreshes, so tests need not wait.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devtools.fake_wechat_checks import ApiError

MAX_TOKENS = 10_000  # old tokens are forgotten beyond this (then they answer 40001)
FORCE_PER_DAY = 20
BEIJING_OFFSET = 8 * 3600  # WeChat's days start at Beijing midnight


@dataclass
class _Token:
    value: str
    stable: bool
    expires_at: float
    dead_at: float | None = None  # superseded: stops working at this time
    revoked: int | None = None  # errcode set by expire_all


class TokenStore:
    """The fake WeChat's access tokens: issues and checks them by WeChat's rules (this
    module's docstring), with its own clock that tests can advance."""

    def __init__(
        self,
        *,
        ttl: int,
        clock: Callable[[], float],
        grace_seconds: float = 300.0,
        force_interval: float = 30.0,
        force_per_day: int = FORCE_PER_DAY,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self.wall = wall  # only for the day boundary
        self.offset = 0.0  # moved by `advance`
        self.grace_seconds = grace_seconds  # cgi-bin/token only
        self.force_interval = force_interval
        self.force_per_day = force_per_day
        # Renew early only when the lifetime leaves room for it (short test TTLs).
        self.renew_before = min(300.0, ttl / 2)
        self._tokens: dict[str, _Token] = {}
        self._stable: _Token | None = None
        self._last_force: float | None = None
        self._forces: dict[int, int] = {}  # Beijing day number -> force refreshes
        self.refused_forces = 0

    def clock(self) -> float:
        """The token clock: the given clock plus what `advance` added."""
        return self._clock() + self.offset

    def _day(self) -> int:
        return int((self.wall() + self.offset + BEIJING_OFFSET) // 86400)

    @property
    def forced_today(self) -> int:
        """Force refreshes spent this Beijing day (of `force_per_day`)."""
        return self._forces.get(self._day(), 0)

    def advance(self, seconds: float) -> None:
        """Age every token, the 30 s spacing and the day by `seconds`."""
        self.offset += seconds

    def reset_force_allowance(self) -> None:
        """Give back the day's force refreshes and lift the 30 s spacing."""
        self._forces.clear()
        self._last_force = None

    def _new(self, *, stable: bool) -> _Token:
        token = _Token("fake." + secrets.token_urlsafe(48), stable, self.clock() + self.ttl)
        self._tokens[token.value] = token
        while len(self._tokens) > MAX_TOKENS:
            del self._tokens[next(iter(self._tokens))]
        return token

    def _usable(self, token: _Token, now: float) -> bool:
        return (
            token.revoked is None
            and now < token.expires_at
            and (token.dead_at is None or now < token.dead_at)
        )

    def _supersede(self, *, stable: bool, now: float, grace: float) -> None:
        for token in self._tokens.values():
            if token.stable == stable and token.dead_at is None and self._usable(token, now):
                token.dead_at = now + grace

    def _answer(self, token: _Token, now: float) -> tuple[str, int]:
        return token.value, max(1, int(token.expires_at - now))

    def issue(self) -> tuple[str, int]:
        """`cgi-bin/token`: always a new token; older ones enter their grace period."""
        now = self.clock()
        self._supersede(stable=False, now=now, grace=self.grace_seconds)
        return self._answer(self._new(stable=False), now)

    def stable(self, *, force_refresh: bool) -> tuple[str, int]:
        """`cgi-bin/stable_token`: the current stable token unless it must change."""
        now = self.clock()
        if force_refresh:
            return self._force(now)
        current = self._stable
        if current is not None and self._current(current, now):
            if current.expires_at - now >= self.renew_before:
                return self._answer(current, now)
            # Early renewal: the old token simply runs out its own (short) life.
        self._stable = self._new(stable=True)
        return self._answer(self._stable, now)

    def _current(self, token: _Token, now: float) -> bool:
        """Still the token normal mode hands out: alive, or invalidated (not expired)."""
        if token.dead_at is not None or now >= token.expires_at:
            return False
        return token.revoked is None or token.revoked != 42001

    def _force(self, now: float) -> tuple[str, int]:
        if self._last_force is not None and now - self._last_force < self.force_interval:
            self.refused_forces += 1
            raise ApiError(45011, "(force_refresh less than 30 s after the last)")
        day = self._day()
        if self._forces.get(day, 0) >= self.force_per_day:
            self.refused_forces += 1
            raise ApiError(45009, f"(force_refresh: {self.force_per_day} a day)")
        self._forces = {day: self._forces.get(day, 0) + 1}
        self._last_force = now
        self._supersede(stable=True, now=now, grace=0.0)
        self._stable = self._new(stable=True)
        return self._answer(self._stable, now)

    def check(self, value: str | None) -> None:
        """Raise the errcode WeChat would answer for this access_token, if any."""
        if not value:
            raise ApiError(41001)
        token = self._tokens.get(value)
        if token is None:
            raise ApiError(40001)
        if token.revoked is not None:
            raise ApiError(token.revoked)
        now = self.clock()
        if now >= token.expires_at:
            raise ApiError(42001)
        if token.dead_at is not None and now >= token.dead_at:
            raise ApiError(40001)

    def expire_all(self, errcode: int = 40001) -> None:
        """Make every issued token answer `errcode` (40001 by default) from now on."""
        for token in self._tokens.values():
            token.revoked = errcode

    def state(self) -> dict[str, Any]:
        """The force-refresh counters and the clock offset, for the control route and tests."""
        now = self.clock()
        return {
            "forced_today": self.forced_today,
            "force_per_day": self.force_per_day,
            "refused_forces": self.refused_forces,
            "since_last_force": None if self._last_force is None else now - self._last_force,
            "offset": self.offset,
        }

    def clear(self) -> None:
        """Forget every token and counter, as a fresh account."""
        self._tokens.clear()
        self._stable = None
        self.reset_force_allowance()
        self.refused_forces = 0


def control(store: TokenStore, body: dict[str, Any]) -> dict[str, Any]:
    """The `_tokens` control route: `{"advance": seconds}` ages the clock,
    `{"reset_force_allowance": true}` forgets the day's force refreshes; answers the state."""
    advance = body.get("advance", 0)
    reset = body.get("reset_force_allowance", False)
    if isinstance(advance, bool) or not isinstance(advance, (int, float)) \
            or not 0 <= advance <= 10 * 86400:
        raise ValueError("advance must be a number of seconds from 0 to 864000")
    if not isinstance(reset, bool):
        raise ValueError("reset_force_allowance must be a boolean")
    store.advance(float(advance))
    if reset:
        store.reset_force_allowance()
    return store.state()
