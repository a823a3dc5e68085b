"""Operators' view: prod refuses dev defaults, /metrics, one masked JSON line per message."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.logs import JsonFormatter
from config.settings import SettingsError, load_settings
from tests.support import Harness

AES_KEY = "a" * 43
# Everything prod needs but the EncodingAESKey (plain mode).
PROD_BASE: dict[str, object] = {
    "wechat_token": "t", "wechat_appid": "wxreal", "wechat_secret": "s", "data_key": "k" * 43,
    "sms": "http", "sms_url": "http://sms.invalid/", "database_url": "postgresql+asyncpg://x/y",
    "platform": "http", "platform_url": "http://platform.invalid/", "platform_secret": "p",
    "verify": "http", "verify_url": "http://verify.invalid/"}


@pytest.mark.parametrize(("overrides", "named"), [
    ({}, "RXF_WECHAT_TOKEN"),
    ({"wechat_token": "t"}, "RXF_WECHAT_APPID"),
    ({"wechat_token": "t", "wechat_appid": "wxreal", "wechat_secret": "s"}, "RXF_DATA_KEY"),
    ({"wechat_token": "t", "wechat_appid": "wxreal", "wechat_secret": "s", "data_key": "k" * 43},
     "RXF_SMS"),
    ({"wechat_token": "t", "wechat_appid": "wxreal", "wechat_secret": "s", "data_key": "k" * 43,
      "sms": "http", "sms_url": "http://sms.invalid/"}, "RXF_DATABASE_URL"),
    ({"wechat_token": "t", "wechat_appid": "wxreal", "wechat_secret": "s", "data_key": "k" * 43,
      "sms": "http", "sms_url": "http://sms.invalid/", "database_url": "postgresql+asyncpg://x/y",
      "wechat_api_base": "http://127.0.0.1:1/fake-wechat/cgi-bin/"}, "fake WeChat API"),
    ({**PROD_BASE}, "RXF_WECHAT_AES_KEY"),
    ({**PROD_BASE, "wechat_aes_key": AES_KEY, "platform": "local"}, "RXF_PLATFORM=local"),
    ({**PROD_BASE, "wechat_aes_key": AES_KEY, "verify": "local"}, "RXF_VERIFY=local"),
    ({**PROD_BASE, "wechat_aes_key": AES_KEY, "dev_endpoints": True}, "RXF_DEV_ENDPOINTS"),
])
def test_prod_refuses_dev_defaults_with_one_line(overrides: dict[str, object],
                                                 named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env="prod", **overrides)
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_bad_values_are_named() -> None:
    with pytest.raises(SettingsError, match="RXF_PORT"):
        load_settings(port="eighty")
    with pytest.raises(SettingsError, match="RXF_WECHAT_AES_KEY"):
        load_settings(wechat_aes_key="short")
    with pytest.raises(SettingsError, match="RXF_WORKERS>1 needs PostgreSQL"):
        load_settings(workers=2)
    with pytest.raises(SettingsError, match="RXF_DATABASE_URL: must be sqlite"):
        load_settings(database_url="postgresql://u@db/rxf")  # a sync driver


def test_a_complete_prod_configuration_loads() -> None:
    settings = load_settings(
        env="prod", **{**PROD_BASE, "database_url": "postgresql+asyncpg://u@db/rxf"},
        wechat_aes_key=AES_KEY, workers=4)
    assert settings.api_base == "https://api.weixin.qq.com/cgi-bin/" and settings.workers == 4
    assert settings.safe_mode and not settings.dev_routes


async def test_metrics_count_messages_and_outbox(harness: Harness) -> None:
    await harness.say("联系我们")
    await harness.sim.post_raw({}, "<xml/>")  # refused
    async with aiohttp.ClientSession() as s, s.get(f"{harness.base}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    assert 'rxf_messages_total{outcome="ok",type="text"}' in text
    assert "rxf_step_seconds_bucket" in text and 'rxf_outbox_rows{status="pending"}' in text
    assert 'rxf_refused_total{reason="bad signature"}' in text


async def test_one_json_line_per_message_with_pii_masked(harness: Harness,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rxf.message"):
        await harness.say("我的身份证532501199201270024手机15911511931")
    records = [r for r in caplog.records if r.name == "rxf.message"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["type"] == "text" and line["outcome"] == "ok" and line["latency_ms"] >= 0
    assert harness.openid not in json.dumps(line) and len(line["openid"]) == 12
    masked = JsonFormatter().format(logging.makeLogRecord(
        {"msg": "id 532501199201270024 phone 15911511931", "levelname": "INFO"}))
    assert "532501199201270024" not in masked and "15911511931" not in masked
