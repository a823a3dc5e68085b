"""access_token issuing and checking for the fake WeChat API.

Mirrors the real rules (see /work/shared/WECHAT_NOTES.md and the getStableAccessToken
docs) closely enough that token-refresh bugs show up locally:

* `cgi-bin/token` issues a new token on every call; the previous ones keep working for
  a grace period (~5 min on WeChat) and then answer 40001 "not latest".
* `cgi-bin/stable_token` is a separate pool: it returns the same token while it is valid,
  with `expires_in` = remaining seconds. Within the last `renew_before` seconds WeChat
  hands out a new one early (both stay valid). `force_refresh` issues a new token; the
  brief asked for the superseded one to keep working for the grace period
  (`grace_seconds=0` gives the immediate invalidation WeChat documents). Repeated force
  refreshes less than `force_interval` seconds apart return the current token, as WeChat
  does.
* Past its lifetime a token answers 42001; `expire_all` makes every issued token answer
  the errcode given (40001 by default) so tests can force the refresh path.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.fake_wechat_checks import ApiError

MAX_TOKENS = 10_000  # old tokens are forgotten beyond this (then they answer 40001)


@dataclass
class _Token:
    value: str
    stable: bool
    expires_at: float
    dead_at: float | None = None  # superseded: stops working at this time
    revoked: int | None = None  # errcode set by expire_all


class TokenStore:
    def __init__(
        self,
        *,
        ttl: int,
        clock: Callable[[], float],
        grace_seconds: float = 300.0,
        force_interval: float = 30.0,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.grace_seconds = grace_seconds
        self.force_interval = force_interval
        # Renew early only when the lifetime leaves room for it (short test TTLs).
        self.renew_before = min(300.0, ttl / 2)
        self._tokens: dict[str, _Token] = {}
        self._stable: _Token | None = None
        self._last_force: float | None = None

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

    def _supersede(self, *, stable: bool, now: float) -> None:
        for token in self._tokens.values():
            if token.stable == stable and token.dead_at is None and self._usable(token, now):
                token.dead_at = now + self.grace_seconds

    def _answer(self, token: _Token, now: float) -> tuple[str, int]:
        return token.value, max(1, int(token.expires_at - now))

    def issue(self) -> tuple[str, int]:
        """`cgi-bin/token`: always a new token; older ones enter their grace period."""
        now = self.clock()
        self._supersede(stable=False, now=now)
        return self._answer(self._new(stable=False), now)

    def stable(self, *, force_refresh: bool) -> tuple[str, int]:
        """`cgi-bin/stable_token`: the current stable token unless it must change."""
        now = self.clock()
        current = self._stable
        if current is not None and self._usable(current, now) and current.dead_at is None:
            recent_force = (
                self._last_force is not None and now - self._last_force < self.force_interval
            )
            if not force_refresh or recent_force:
                if current.expires_at - now >= self.renew_before or recent_force:
                    return self._answer(current, now)
                # Early renewal: the old token simply runs out its own (short) life.
                self._stable = self._new(stable=True)
                return self._answer(self._stable, now)
        if force_refresh:
            self._last_force = now
            self._supersede(stable=True, now=now)
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
        for token in self._tokens.values():
            token.revoked = errcode

    def clear(self) -> None:
        self._tokens.clear()
        self._stable = None
        self._last_force = None
