"""What operators see of each message: Prometheus metrics and one JSON log line.

With several worker processes the supervisor sets PROMETHEUS_MULTIPROC_DIR, so any
worker answering /metrics reports the sum over all of them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prom_mp

from adapters.wechat_tokens import DAILY_QUOTA, beijing_day
from bot.logs import PLAIN

log = logging.getLogger("rxf.message")

MESSAGES = Counter("rxf_messages_total", "WeChat deliveries handled", ["type", "outcome"])
STEP_SECONDS = Histogram("rxf_step_seconds", "Time from request to passive reply",
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8))
DUPLICATES = Counter("rxf_duplicates_total", "Retried deliveries answered from the record")
FAQ = Counter("rxf_faq_total", "FAQ questions by result", ["result"])
WECHAT_ERRORS = Counter("rxf_wechat_api_errors_total", "WeChat API errors", ["errcode"])
# 45009: the account's API calls for the day are used up (WeChat resets them at midnight,
# Beijing time). The latest across processes, so /metrics can say whether it is today.
DAILY_QUOTA_HIT_NAME = "rxf_wechat_daily_quota_hit_timestamp_seconds"
DAILY_QUOTA_HIT = Gauge(DAILY_QUOTA_HIT_NAME,
                        "When WeChat last answered 45009 (API daily quota reached)",
                        multiprocess_mode="max")
REFUSED = Counter("rxf_refused_total", "Requests refused before any work", ["reason"])
READINGS = Counter("rxf_readings_total", "Messages read for intent and slots, by outcome",
                   ["kind"])
READING_SECONDS = Histogram("rxf_reading_seconds", "Time to read one message",
                            buckets=(0.0001, 0.0002, 0.0003, 0.0005, 0.001, 0.002, 0.005))


def openid_hash(openid: str) -> str:
    return hashlib.sha256(openid.encode()).hexdigest()[:12]


# (type, outcome) -> its counter child: `labels()` validates and looks the labels up
# again on every call, a cost paid per message for a handful of combinations.
_MESSAGE_CHILDREN: dict[tuple[str, str], Any] = {}


def message(kind: str, openid: str, outcome: str, seconds: float, dialog: str | None,
            state: str | None) -> None:
    """Count one handled delivery and write its log line."""
    child = _MESSAGE_CHILDREN.get((kind, outcome))
    if child is None:
        child = _MESSAGE_CHILDREN[(kind, outcome)] = MESSAGES.labels(kind, outcome)
    child.inc()
    STEP_SECONDS.observe(seconds)
    if outcome == "duplicate":
        DUPLICATES.inc()
    if log.isEnabledFor(logging.INFO):
        # Every field is ours (a hash, the kind and outcome, dialog and state names, a
        # duration): none can hold an ID number or phone, so none needs the masking pass.
        log.info("message", extra={PLAIN: {
            "openid": openid_hash(openid), "type": kind, "outcome": outcome,
            "dialog": dialog, "state": state, "latency_ms": round(seconds * 1000, 1)}})


def refused(reason: str) -> None:
    REFUSED.labels(reason.split(":")[0][:40]).inc()


def reading(kind: str, seconds: float) -> None:
    """A message read (intent, ambiguous or none): how many messages need a reading at
    all, and what one costs."""
    READINGS.labels(kind).inc()
    READING_SECONDS.observe(seconds)


def faq(result: str) -> None:
    FAQ.labels(result).inc()


def wechat_error(errcode: int | None) -> None:
    WECHAT_ERRORS.labels(str(errcode) if errcode is not None else "network").inc()
    if errcode == DAILY_QUOTA:
        DAILY_QUOTA_HIT.set(time.time())


def daily_quota_reached(last_hit: float, now: float | None = None) -> bool:
    """A 45009 since the last Beijing midnight: WeChat refuses API calls until the next."""
    now_at = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return last_hit > 0 and beijing_day(datetime.fromtimestamp(last_hit, UTC)) == \
        beijing_day(now_at)


async def render(outbox_counts: Callable[[], Awaitable[dict[str, int]]]) -> tuple[bytes, str]:
    """The /metrics body: process (or all workers') metrics plus the outbox now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prom_mp.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    # The outbox is a fact of the database, not of a process: read it at scrape time.
    # "waiting" rows wait for their user's next message (no customer-service quota).
    current = CollectorRegistry()
    gauge = Gauge("rxf_outbox_rows", "Outbox rows by status", ["status"], registry=current)
    counts = await outbox_counts()
    for status in ("pending", "waiting", "sent", "dead", "ended"):
        gauge.labels(status).set(counts.get(status, 0))
    Gauge("rxf_wechat_daily_quota_reached",
          "1 while WeChat's API daily quota is used up (a 45009 since midnight, Beijing)",
          registry=current).set(1 if daily_quota_reached(_last_quota_hit(registry)) else 0)
    return body + generate_latest(current), CONTENT_TYPE_LATEST


def _last_quota_hit(registry: CollectorRegistry) -> float:
    return max((sample.value for metric in registry.collect()
                if metric.name == DAILY_QUOTA_HIT_NAME for sample in metric.samples),
               default=0.0)
