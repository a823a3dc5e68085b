"""Shared by the account dialog tests: demo identities and walking the common paths."""

from __future__ import annotations

import re

from tests.support import Harness

# From adapters/local_data/registry.yaml (fictional; see its header comment).
ZHOU = {"name": "周露", "id": "532501199201270024", "phone": "15911511931",
        "company": "云南贸易有限公司", "uscc": "91530121MA6P1RDX22", "region": "玉溪市红塔区"}
LI = {"name": "李建华", "id": "530102197503140317", "phone": "13888260417",
      "company": "昆明滇云商贸有限公司", "uscc": "91530112MA6K7T3W4Q", "region": "昆明市西山区"}
LI_SECOND = {"company": "曲靖恒达机械制造有限公司", "uscc": "91530302MA6NC8L25Q",
             "region": "曲靖市麒麟区"}
MA = {"name": "马文斌", "id": "53060219850108013X", "phone": "18608703526"}
MENGZI = {"company": "蒙自石榴红农产品有限公司", "uscc": "91532503MA6Q4H9E14"}
WANG_PHONE = "13708741265"  # 王芳's phone: 杨晓东 + this phone fails three-factor
YANG = {"name": "杨晓东", "id": "532923198306210154", "phone": "15187296350"}


async def last_code(h: Harness, phone: str) -> str:
    """The latest code the local SMS gateway 'sent' to this phone."""
    rows = await h.runtime.ports.sms.outbox(phone=phone, limit=1)
    assert rows, f"no SMS for {phone}"
    found = re.search(r"\d{6}", rows[-1][2])
    assert found
    return found.group(0)


async def sms_count(h: Harness, phone: str) -> int:
    return len(await h.runtime.ports.sms.outbox(phone=phone, limit=100))


async def to_code(h: Harness, who: dict[str, str] = ZHOU, *, openid: str | None = None,
                  start: str = "注册") -> str:
    """Walk registration (同意 the 个人信息处理规则 first) up to the SMS code question;
    returns that reply."""
    replies = await h.walk(start, "同意", who["phone"], who["name"], who["id"],
                           who["company"], who["uscc"], openid=openid)
    return replies[-1]


async def register(h: Harness, who: dict[str, str] = ZHOU, *,
                   openid: str | None = None) -> str:
    """A full registration; returns the reply to 确认 (which opens 认证授权)."""
    await to_code(h, who, openid=openid)
    await h.say(await last_code(h, who["phone"]), openid)
    await h.say("1", openid)  # 同意《注册服务协议》
    return await h.say("确认", openid)


async def certify_all(h: Harness, *, openid: str | None = None) -> str:
    """After register(): confirm the prefilled steps and sign with no utility accounts."""
    await h.say("确认", openid)  # 1/3 个人认证 (prefilled)
    await h.say("确认", openid)  # 2/3 企业要素认证 (prefilled)
    await h.walk("无", "无", "无", openid=openid)
    return await h.say("签署", openid)
