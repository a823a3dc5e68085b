"""Typed template messages: values rendered to their keyword type, the template file
refused with one line when wrong, and the fake WeChat API refusing what WeChat refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import template_values as tv
from bot.push_render import render_push
from bot.templates import (
    EXAMPLE,
    FACT_TYPES,
    PushTemplate,
    content_keywords,
    dev_default,
    load_templates,
    push_templates,
    render_data,
)
from config.settings import SettingsError, load_settings
from devtools.fake_wechat_checks import ApiError
from devtools.fake_wechat_templates import FakeTemplate, TemplateBook, value_problem
from ops.cli.parser import parser
from tests.test_production import AES_KEY, PROD_BASE

# --- rendering, type by type --------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("云南贸易有限公司", "云南贸易有限公司"),
    ("云" * 20, "云" * 20),
    ("云" * 21, "云" * 19 + "…"),
    ("云南\n贸易\u200b有限公司", "云南 贸易有限公司"),  # no line breaks, no invisible chars
    ("  \t", None),
])
def test_thing_is_one_visible_line_of_at_most_20(raw: str, expected: str | None) -> None:
    assert tv.thing(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("RZ20261201000002", "RZ20261201000002"),
    ("ＲＺ２０２６１２０１", "RZ20261201"),  # full-width, as typed on a Chinese keyboard
    ("RZ 2026-1201", "RZ2026-1201"),
    ("单据RZ1", "RZ1"),
    ("X" * 40, "X" * 32),
    ("单据号", None),
])
def test_character_string_keeps_ascii_only(raw: str, expected: str | None) -> None:
    assert tv.character_string(raw) == expected


@pytest.mark.parametrize(("raw", "event", "expected"), [
    ("已授信", "credit", "已授信"),
    ("待放款", "credit", "待放款"),
    ("审核中待补充资料", "credit", "已授信"),  # not cut into something false
    ("granted", "disburse", "已放款"),
    ("", "reject", "已退回"),
    ("审核中待补充资料", "", None),
])
def test_phrase_is_five_chinese_or_the_events_own(raw: str, event: str,
                                                  expected: str | None) -> None:
    assert tv.phrase(raw, event) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("20万元", "200000.00元"),
    ("200000", "200000.00元"),
    ("¥200,000.00", "200000.00元"),
    ("1234.5元", "1234.50元"),
    ("9999999.99元", "9999999.99元"),  # 11 characters: the most with cents
    ("12345678.9元", "12345678元"),  # cents no longer fit: whole yuan
    ("1.5亿元", "150000000元"),  # 150000000.00元 would be 13 characters
    ("99.99亿元", "9999000000元"),
    ("100亿元", None),  # 11 digits: no amount keyword holds it
    ("0元", None),
    ("-5元", None),
    ("面议", None),
    ("—", None),
])
def test_amount_fits_eleven_characters(raw: str, expected: str | None) -> None:
    assert tv.amount(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-12-01 09:30", "2026-12-01 09:30"),
    ("2026-12-01 09:30:59", "2026-12-01 09:30"),
    ("2026年12月1日 9:30", "2026-12-01 09:30"),
    ("2026/12/01 09:30", "2026-12-01 09:30"),
    ("2026-12-01T01:30:00Z", "2026-12-01 09:30"),  # told in UTC, shown in China time
    ("2026-12-01T09:30:00+08:00", "2026-12-01 09:30"),
    ("2026-12-01", None),  # no clock: an invented 00:00 would mislead
    ("2026-02-30 09:30", None),
    ("明天上午", None),
])
def test_time_is_china_time_to_the_minute(raw: str, expected: str | None) -> None:
    assert tv.time(raw) == expected


def test_date_and_number() -> None:
    assert tv.date("2026年12月1日 09:30") == "2026-12-01"
    assert tv.date("2026-13-01") is None
    assert tv.number("20万元") == "200000.00"
    assert tv.number("面议") is None


TYPED = load_templates(EXAMPLE)
PAYLOAD = {"event": "credit", "demand_no": "RZ20261201000002", "enterprise": "云南贸易有限公司",
           "amount": "20万元", "status": "待放款", "institution": "富滇银行",
           "time": "2026-12-01 09:30", "reason": None}


def test_a_push_renders_each_keyword_to_its_type() -> None:
    rendered = render_push(PAYLOAD, "https://rxf.example/demand", TYPED["credit"])
    assert rendered.data == {
        "character_string1": {"value": "RZ20261201000002"},
        "thing2": {"value": "云南贸易有限公司"}, "amount3": {"value": "200000.00元"},
        "phrase4": {"value": "待放款"}, "time5": {"value": "2026-12-01 09:30"},
        "thing6": {"value": "富滇银行"}}
    assert rendered.url == "https://rxf.example/demand?no=RZ20261201000002"
    # The plain text (customer-service fallback) keeps the platform's own wording.
    assert "金额：20万元" in rendered.text.split("\n")


def test_a_value_that_fits_nowhere_is_left_out_not_sent_to_be_refused() -> None:
    payload = {**PAYLOAD, "amount": "面议", "time": "", "enterprise": ""}
    data = render_push(payload, None, TYPED["credit"]).data
    assert set(data) == {"character_string1", "phrase4", "thing6"}


def test_the_dev_shorthand_keeps_our_field_names() -> None:
    shorthand = PushTemplate("credit", "TPL", {f: f for f in (
        "demand_no", "enterprise", "amount", "status", "institution", "time", "remark")},
        typed=False)
    data = render_push({**PAYLOAD, "amount": None}, None, shorthand).data
    assert data["demand_no"] == {"value": "RZ20261201000002"}
    assert data["amount"] == {"value": "—"} and data["remark"]["value"].startswith("回复单据号")


_PAIRS = [(fact, kind) for fact, kinds in FACT_TYPES.items() for kind in kinds]


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(_PAIRS), raw=st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[¥￥]?\d{1,12}(\.\d{1,4})?[万亿]?元?", fullmatch=True),
    st.from_regex(r"\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?( \d{1,2}:\d{2})?", fullmatch=True)),
    event=st.sampled_from(["credit", "disburse", "reject", ""]))
def test_whatever_the_platform_sends_wechat_would_take(pair: tuple[str, str], raw: str,
                                                       event: str) -> None:
    """Every value the renderer produces passes the fake's own, separately written rules."""
    fact, kind = pair
    template = PushTemplate(event or "credit", "T", {f"{kind}1": fact})
    facts = {fact: raw}
    for keyword, item in render_data(template, facts, event).items():
        assert value_problem(keyword, item["value"]) is None, (keyword, item)


# --- the template file ----------------------------------------------------------------------


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "templates.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD = ("credit:\n  template_id: T1\n  fields: {character_string1: demand_no, thing2: "
        "enterprise, amount3: amount, phrase4: status, time5: time}\n")


def test_the_issue_example_loads(tmp_path: Path) -> None:
    loaded = push_templates(load_settings(templates=_file(tmp_path, GOOD)))
    assert list(loaded) == ["credit"] and loaded["credit"].template_id == "T1"
    assert loaded["credit"].fields["amount3"] == "amount" and loaded["credit"].typed


@pytest.mark.parametrize(("text", "named"), [
    (GOOD.replace("demand_no", "demand_number"), "credit.fields.character_string1: unknown "
                                                 "fact 'demand_number'"),
    (GOOD.replace("thing2", "things2"), "credit.fields.things2: unknown keyword type 'things'"),
    (GOOD.replace("thing2", "enterprise_name"), "not a WeChat keyword name"),
    (GOOD.replace("thing2: enterprise", "character_string2: enterprise"),
     "enterprise cannot be shown as character_string"),
    (GOOD.replace("phrase4: status", "phrase4: reason"), "reason cannot be shown as phrase"),
    (GOOD.replace("template_id: T1", "template_id: <id from the WeChat back office>"),
     "credit.template_id"),
    (GOOD.replace("credit:", "granted:"), "unknown push kind 'granted'"),
    (GOOD.replace("  fields", "  colour: red\n  fields"), "unknown key 'colour'"),
    (GOOD.replace("fields: {", "fields: {]"), "not valid YAML (line 3)"),
    ("- credit\n", "expected entries for credit, disburse, reject"),
])
def test_a_wrong_file_refuses_to_start_with_one_line(tmp_path: Path, text: str,
                                                     named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        push_templates(load_settings(templates=_file(tmp_path, text)))
    message = str(caught.value)
    assert message.startswith("configuration error: RXF_TEMPLATES: ")
    assert named in message and "\n" not in message


def test_missing_file_and_mixed_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"RXF_TEMPLATES: cannot read .*nowhere\.yaml"):
        push_templates(load_settings(templates=str(tmp_path / "nowhere.yaml")))
    with pytest.raises(SettingsError, match="both set"):
        load_settings(templates=_file(tmp_path, GOOD), template_credit="T2")
    assert push_templates(load_settings(templates="")) == {}


# A production configuration complete but for the templates.
PROD = {**PROD_BASE, "env": "prod", "wechat_aes_key": AES_KEY}


def test_prod_refuses_the_shorthand_without_rxf_templates(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**PROD, template_credit="T1")
    assert "prod needs RXF_TEMPLATES" in str(caught.value) and "\n" not in str(caught.value)
    loaded = load_settings(**PROD, templates=_file(tmp_path, GOOD))
    assert push_templates(loaded)["credit"].typed


def test_detail_url_must_be_a_web_address() -> None:
    with pytest.raises(SettingsError, match="RXF_DETAIL_URL: must be a web address"):
        load_settings(detail_url="rxf.example/demand")
    assert load_settings(detail_url="https://rxf.example/d").detail_url == "https://rxf.example/d"
    url = render_push({**PAYLOAD, "demand_no": "RZ 1&2"}, "https://rxf.example/d?from=wx").url
    assert url == "https://rxf.example/d?from=wx&no=RZ%201%262"


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, {"RXF_TEMPLATES": str(EXAMPLE)}),
    ({"RXF_TEMPLATE_CREDIT": "T"}, {}),
    ({"RXF_TEMPLATES": "/etc/rxf/templates.yaml"}, {}),
    ({"RXF_WECHAT_API_BASE": "https://api.weixin.qq.com/cgi-bin/"}, {}),
    ({"RXF_ENV": "prod"}, {}),
])
def test_only_a_bare_dev_start_uses_the_example(environ: dict[str, str],
                                                expected: dict[str, str]) -> None:
    """`python server.py` with nothing set shows template pushes through the embedded fake;
    anything configured, or prod, is left as it is."""
    assert dev_default(environ) == expected


def test_the_command_line_knows_templates_check() -> None:
    args = parser().parse_args(["templates", "check"])
    assert (args.command, args.templates_command) == ("templates", "check")


# --- the fake WeChat API's rules -------------------------------------------------------------

ALL_TYPES = "\n".join(f"{k}：{{{{{k}.DATA}}}}" for k in (
    "thing1", "character_string2", "number3", "letter4", "symbol5", "amount6", "time7",
    "date8", "phrase9", "name10", "phone_number11", "car_number12"))


def _book() -> TemplateBook:
    return TemplateBook([FakeTemplate("T", "测试", ALL_TYPES)], clock=lambda: 0.0)


def _send(book: TemplateBook, **data: str) -> dict[str, Any]:
    return book.check({"touser": "o-1", "template_id": "T",
                       "data": {k: {"value": v} for k, v in data.items()}})


@pytest.mark.parametrize(("keyword", "good", "bad"), [
    ("thing1", "云" * 20, "云" * 21),
    ("thing1", "资料不全", "资料\n不全"),
    ("thing1", "资料不全", ""),
    ("character_string2", "RZ20261201000002", "RZ单据"),
    ("character_string2", "X" * 32, "X" * 33),
    ("number3", "200000.00", "20万"),
    ("letter4", "ABC", "AB1"),
    ("symbol5", "-+*", "-+*/%&"),
    ("amount6", "200000.00元", "150000000.00元"),  # 13 characters
    ("amount6", "¥200000", "20万元"),
    ("amount6", "9999999999元", "10000000000元"),
    ("time7", "2026-12-01 09:30", "2026-12-01"),
    ("time7", "2026年12月1日 09:30", "2026-12-01 25:30"),
    ("time7", "09:30~10:30", "明天上午"),
    ("date8", "2026-12-01", "2026-02-30"),
    ("phrase9", "已授信", "已授信待放款"),
    ("phrase9", "已放款", "OK"),
    ("name10", "张三", "张" * 11),
    ("phone_number11", "+86-0871-66888866", "电话0871"),
    ("car_number12", "云A12345", "云A123456789"),
])
def test_the_fake_refuses_each_limit_with_47003(keyword: str, good: str, bad: str) -> None:
    book = _book()
    assert _send(book, **{keyword: good})["ignored"] == []
    with pytest.raises(ApiError) as caught:
        _send(book, **{keyword: bad})
    assert caught.value.errcode == 47003 and keyword in caught.value.errmsg


def test_the_fake_knows_its_templates() -> None:
    book = _book()
    with pytest.raises(ApiError) as caught:
        book.check({"touser": "o-1", "template_id": "nope", "data": {}})
    assert caught.value.errcode == 40037
    # Keys the template does not have are dropped by WeChat: accepted, listed, not checked.
    shown = _send(book, thing1="资料不全", demand_no="RZ" + "单" * 40)
    assert shown["ignored"] == ["demand_no"] and "thing1" not in shown["empty"]
    assert "character_string2" in shown["empty"] and shown["title"] == "测试"
    assert shown["labels"]["amount6"] == "amount6"
    assert content_keywords(ALL_TYPES)[:2] == ["thing1", "character_string2"]
    assert content_keywords("{ {result.DATA} }\n领奖金额:{{ withdrawMoney.DATA }}") == [
        "result", "withdrawMoney"]


def test_client_msg_id_sends_once_per_user_for_ten_minutes() -> None:
    now = [0.0]
    book = TemplateBook([FakeTemplate("T", "测试", ALL_TYPES)], clock=lambda: now[0])
    assert book.repeat("o-1", "rxf-outbox-1") is None
    book.remember("o-1", "rxf-outbox-1", 7)
    assert book.repeat("o-1", "rxf-outbox-1") == 7
    assert book.repeat("o-2", "rxf-outbox-1") is None  # per openid
    assert book.repeat("o-1", None) is None
    now[0] = 601.0
    assert book.repeat("o-1", "rxf-outbox-1") is None
    assert book.repeats == 1
