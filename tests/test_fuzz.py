"""Hostile input against a real server process: never a 5xx, never a state change from
a refused request. Hypothesis generates the bodies; the signatures are valid, so the
fuzzing reaches past the signature check into parsing and decryption."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.wechat_io import signature
from bot.wechat_parse import Malformed, parse
from config.settings import DEV_TOKEN
from tests.processes import ServerProcess
from tests.support import free_port

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "fuzz-secret"
TABLES = ("deliveries", "conversations", "outbox", "platform_events", "wechat_users")


class Target:
    def __init__(self, server: ServerProcess, db: Path) -> None:
        self.server = server
        self.db = db
        self.accepted = 0

    def post(self, path: str, body: bytes, query: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> int:
        url = f"{self.server.base}{path}" + (f"?{urlencode(query)}" if query else "")
        request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                status = resp.status
                payload = resp.read()
        except urllib.error.HTTPError as err:
            status, payload = err.code, b""
        assert status < 500, (status, body[:200])
        if status == 200 and path == "/wechat" and payload.startswith(b"<xml"):
            self.accepted += 1
        return status

    def rows(self) -> dict[str, int]:
        with sqlite3.connect(self.db) as con:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _start(tmp: Path, **env: str) -> tuple[ServerProcess, Path]:
    db = tmp / "fuzz.db"
    server = ServerProcess({"RXF_PORT": str(free_port()), "RXF_VAR_DIR": str(tmp),
                            "RXF_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
                            "RXF_DATA_KEY": "f" * 43, "RXF_PLATFORM_SECRET": SECRET, **env})
    asyncio.run(server.start())
    return server, db


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    server, db = _start(tmp_path_factory.mktemp("plain"))
    yield Target(server, db)
    server.stop()


@pytest.fixture(scope="module")
def safe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    server, db = _start(tmp_path_factory.mktemp("safe"), RXF_WECHAT_AES_KEY=AES_KEY,
                        RXF_WECHAT_APPID="wxfuzz0000000001")
    yield Target(server, db)
    server.stop()


def _signed(extra: dict[str, str] | None = None) -> dict[str, str]:
    # A nonce of its own per request: the same signature over another body is a replay.
    ts, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    return {"signature": signature(DEV_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
            **(extra or {})}


tags = st.sampled_from(["xml", "ToUserName", "FromUserName", "MsgType", "Content", "MsgId",
                        "Event", "EventKey", "CreateTime", "Encrypt", "!DOCTYPE", "?xml"])
xmlish = st.recursive(
    st.text(max_size=40),
    lambda inner: st.builds(lambda t, body: f"<{t}>{body}</{t}>", tags, inner)
    | st.builds(lambda a, b: a + b, inner, inner),
    max_leaves=12)
bodies = st.one_of(
    st.binary(max_size=2048),
    xmlish.map(lambda s: s.encode()),
    st.text(max_size=300).map(lambda s: f"<xml><Content>{s}</Content></xml>".encode()),
    st.binary(min_size=1, max_size=64).map(lambda b: b"<xml>" + b * 4 + b"</xml>"),
    st.integers(60_000, 90_000).map(lambda n: b"<xml><Content>" + b"a" * n + b"</Content></xml>"),
)
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(body=bodies)
def test_wechat_endpoint_survives_garbage(plain: Target, body: bytes) -> None:
    plain.post("/wechat", body, _signed())
    if plain.accepted == 0:
        assert plain.rows()["deliveries"] == 0


@FUZZ
@given(encrypt=st.one_of(st.text(max_size=200), st.binary(max_size=300).map(
    lambda b: base64.b64encode(b).decode())))
def test_safe_mode_survives_wrong_encryption(safe: Target, encrypt: str) -> None:
    query = _signed()
    query.update(encrypt_type="aes", msg_signature=signature(
        DEV_TOKEN, query["timestamp"], query["nonce"], encrypt))
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    assert safe.post("/wechat", body, query) in (400, 403)
    assert safe.rows()["deliveries"] == 0


@FUZZ
@given(body=st.one_of(st.binary(max_size=4096), st.text(max_size=500).map(str.encode),
                      st.dictionaries(st.text(max_size=12), st.text(max_size=20)).map(
                          lambda d: json.dumps(d).encode())),
       sign_it=st.booleans())
def test_platform_events_survive_garbage(plain: Target, body: bytes, sign_it: bool) -> None:
    headers = {"X-RXF-Signature": "sha256=" + hmac.new(
        SECRET.encode(), body, hashlib.sha256).hexdigest()} if sign_it else {}
    assert plain.post("/platform/events", body, headers=headers) in (400, 401)
    rows = plain.rows()
    assert rows["platform_events"] == 0 and rows["outbox"] == 0


# Message-shaped XML: WeChat's field names in any order, repeated or missing, holding
# good values, any text, numbers out of range or nested elements. Signed, so it reaches
# the parser: every case is a reply or a 400, never a 500.
FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "MsgID", "Content",
          "Event", "EventKey", "Recognition", "MediaId", "Status", "Ticket", "Location_X",
          "ScanCodeInfo", "Unknown"]
values = st.one_of(
    st.sampled_from(["o_fuzz_user", "gh_rxf", "text", "event", "voice", "image", "CLICK",
                     "subscribe", "SCAN", "TEMPLATESENDJOBFINISH", "CONTACT", "qrscene_x",
                     "login_abc", "联系我们", "12", "1700000000", "-1", "1e5", ""]),
    st.integers(-(2**70), 2**70).map(str),
    st.text(max_size=30).map(escape),
    st.text(max_size=10).map(lambda t: f"<![CDATA[{t.replace(']]>', '')}]]>"),
    st.text(alphabet="abc", max_size=5).map(lambda t: f"<b>{t}</b>{t}"),
)
base_fields = st.fixed_dictionaries({
    "ToUserName": st.just("gh_rxf"), "FromUserName": st.just("o_fuzz_user"),
    "CreateTime": st.just("1700000000"),
    "MsgType": st.sampled_from(["text", "event", "voice", "image", "location", "weird"])})
messages = st.builds(
    lambda base, extra, order: "<xml>" + "".join(
        f"<{n}>{v}</{n}>" for n, v in sorted([*base.items(), *extra], key=order)) + "</xml>",
    base_fields, st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=8),
    st.sampled_from([lambda kv: 0, lambda kv: kv[0], lambda kv: -len(kv[1])]))


@settings(max_examples=400, deadline=None)
@given(xml=messages)
def test_parser_answers_or_refuses_cleanly(xml: str) -> None:
    try:
        parsed = parse(xml)
    except Malformed:
        return
    inbound = parsed.inbound
    assert 0 < len(inbound.openid) <= 64 and inbound.openid.isascii()
    assert 0 <= inbound.msg_id < 2**64 and 0 <= inbound.create_time < 10**10
    assert inbound.kind in ("text", "voice", "image", "event", "system", "other")
    assert all(isinstance(v, str) for v in (inbound.text, inbound.event, inbound.event_key))
    assert len(inbound.dedupe_key) <= 160


@FUZZ
@given(xml=messages)
def test_wechat_endpoint_answers_or_400s_message_shaped_xml(plain: Target, xml: str) -> None:
    before = plain.rows()
    try:
        parse(xml)
        ok = True
    except Malformed:
        ok = False
    status = plain.post("/wechat", xml.encode(), _signed())
    assert status == (200 if ok else 400), (status, xml)
    if not ok:
        assert plain.rows() == before
