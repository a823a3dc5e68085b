"""`python -m bot chat`: talk to a running server exactly as WeChat would.

Every line you type is sent as signed (and, in safe mode, encrypted) WeChat XML; the
passive reply is printed, and so are the customer-service and template messages the
server sends through the fake WeChat API, and (local SMS gateway) the SMS it sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp

from bot.menu import MENU
from config.settings import Settings
from devtools.sim import WeChatSim, event_xml, image_xml, text_xml, voice_xml

HELP = """命令（其余输入都作为文字消息发送）：
  /click KEY        点菜单，例如 /click DEMAND_NEW（/menu 列出全部）
  /menu             列出菜单项和 KEY
  /subscribe [场景]  关注（带场景 = 扫带参数二维码关注）
  /unsubscribe      取消关注
  /scan 场景         已关注用户扫码（网页登录二维码）
  /voice 文字        发语音（文字当作语音识别结果）
  /image [路径]      发一张图片（JPG/PNG 文件；不给路径就发一张演示照片）
  /openid ID        换一个用户
  /fail 故障 [次数]   让假微信接口出错，演示推送重试：45009、-1、40001 等错误码，
                    500（HTTP 500）或 slow（超时）；例如 /fail 500 3
  /wait 秒数         等一会儿（脚本里等推送）
  /quit             退出"""


# A stand-in photo for `/image` without a path: JPEG's start and end markers around
# nothing, enough for the bot's type check (it reads the content, not the name).
DEMO_PHOTO = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
              + b"\x00" * 64 + b"\xff\xd9")


def _read(path: str) -> bytes:
    return Path(path).expanduser().read_bytes()


def _indent(label: str, text: str) -> str:
    body = textwrap.indent(text, "   ")
    return f"{label}\n{body}"


class Chat:
    """The terminal chat: sends what the operator types to the bot as signed WeChat XML
    through a WeChatSim, and prints the replies, pushes and local SMS as they arrive."""

    def __init__(self, sim: WeChatSim, base: str, openid: str, out: Any = sys.stdout) -> None:
        self.sim = sim
        self.base = base.rstrip("/")
        self.openid = openid
        self.out = out
        self._after = 0
        self._sms_after = 0

    def say(self, text: str) -> None:
        """Print one line for the operator."""
        print(text, file=self.out, flush=True)

    async def send(self, line: str) -> None:
        """Act on one typed line: a /command of the chat (/fail, /wait, /click …) or a text
        message to the bot, whose reply is printed."""
        if line.startswith("/fail"):
            await self._fail(line.split()[1:])
            return
        if line.startswith("/image"):
            await self._image(line[len("/image"):].strip())
            return
        if line.startswith("/wait"):
            parts = line.split()
            await asyncio.sleep(float(parts[1]) if len(parts) > 1 else 3.0)
            return
        xml = self._build(line)
        if xml is None:
            return
        await self._post(xml)

    async def _post(self, xml: str) -> None:
        reply = await self.sim.post(xml)
        if reply.status != 200:
            self.say(f"!! 服务器返回 HTTP {reply.status}: {reply.body[:200]}")
        elif reply.msg_type == "transfer_customer_service":
            self.say(_indent("🤖", "[已转接人工客服 transfer_customer_service]"))
        elif reply.content:
            self.say(_indent("🤖", reply.content))

    def _build(self, line: str) -> str | None:
        if not line.startswith("/"):
            return text_xml(self.openid, line)
        cmd, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if cmd == "click" and arg:
            return event_xml(self.openid, "CLICK", arg)
        if cmd == "subscribe":
            return event_xml(self.openid, "subscribe", f"qrscene_{arg}" if arg else "",
                             ticket="sim-ticket" if arg else "")
        if cmd == "unsubscribe":
            return event_xml(self.openid, "unsubscribe")
        if cmd == "scan" and arg:
            return event_xml(self.openid, "SCAN", arg, ticket="sim-ticket")
        if cmd == "voice":
            return voice_xml(self.openid, arg)
        if cmd == "openid" and arg:
            self.openid = arg
            self.say(f"(现在是用户 {arg})")
            return None
        if cmd == "menu":
            for name, entries in MENU:
                self.say(f"{name}: " + "  ".join(f"{label}={key}" for key, label in entries))
            return None
        self.say(HELP)
        return None

    async def _image(self, path: str) -> None:
        """Upload a picture to the fake WeChat API, then send the signed image message
        naming it (MediaId and PicUrl), as a phone's picture reaches the account."""
        try:
            data = await asyncio.to_thread(_read, path) if path else DEMO_PHOTO
        except OSError as exc:
            self.say(f"(读不了图片文件：{exc.strerror or exc})")
            return
        async with self.sim.session.post(f"{self.base}/fake-wechat/_media", data=data) as r:
            if r.status != 200:
                self.say("(只有内置的假微信接口能收图片)" if r.status == 404 else
                         f"(假微信接口拒绝了这张图片：HTTP {r.status})")
                return
            stored = await r.json()
        self.say(f"(已发送图片 {len(data)} 字节)")
        await self._post(image_xml(self.openid, stored["media_id"], pic_url=stored["pic_url"]))

    async def _fail(self, args: list[str]) -> None:
        """Queue faults in the fake WeChat API for the sends it receives next."""
        if not args:
            self.say(HELP)
            return
        kind, count = args[0], int(args[1]) if len(args) > 1 and args[1].isdigit() else 1
        fault: dict[str, object] = {"endpoint": "*", "count": count}
        if kind == "500":
            fault["http_status"] = 500
        elif kind == "slow":
            fault.update(delay=8.0, http_status=504)
        else:
            try:
                fault["errcode"] = int(kind)
            except ValueError:
                self.say("用法：/fail 45009 3  或  /fail 500  或  /fail slow")
                return
        async with self.sim.session.post(f"{self.base}/fake-wechat/_faults", json=fault) as r:
            ok = r.status == 200
        self.say(f"(假微信接口接下来 {count} 次调用将失败：{kind})" if ok else
                 "(只有内置的假微信接口能注入故障)")

    async def watch(self, session: aiohttp.ClientSession) -> None:
        """Print what the server sent this user through the WeChat API and the SMS gateway."""
        while True:
            try:
                await self._poll_wechat(session)
                await self._poll_sms(session)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                await asyncio.sleep(1.0)

    async def _poll_wechat(self, session: aiohttp.ClientSession) -> None:
        params = {"after": str(self._after), "touser": self.openid, "wait": "1"}
        async with session.get(f"{self.base}/fake-wechat/_sent", params=params) as resp:
            if resp.status != 200:
                await asyncio.sleep(2.0)
                return
            data = await resp.json()
        self._after = data.get("next_after", self._after)
        for record in data.get("records", []):
            self.say(_render_record(record))

    async def _poll_sms(self, session: aiohttp.ClientSession) -> None:
        async with session.get(f"{self.base}/dev/sms", params={"after": str(self._sms_after)}) \
                as resp:
            if resp.status != 200:
                return
            data = await resp.json()
        for sms in data.get("messages", []):
            self._sms_after = max(self._sms_after, sms["id"])
            self.say(_indent(f"📱 短信 → {sms['phone']}", sms["text"]))


def _render_record(record: dict[str, Any]) -> str:
    payload = record.get("payload", {})
    if record.get("kind") == "custom":
        return _indent("💬 客服消息", payload.get("text", {}).get("content", str(payload)))
    if record.get("kind") == "template":
        return _render_template(payload, record.get("result") or {})
    return _indent(f"· {record.get('kind')}", str(payload)[:300])


def _render_template(payload: dict[str, Any], result: dict[str, Any]) -> str:
    """The template a push used, keyword by keyword, as the fake WeChat API saw it: which
    keywords the notice shows empty and which values WeChat dropped."""
    data = payload.get("data", {})
    labels: dict[str, str] = result.get("labels") or {}
    ignored = set(result.get("ignored") or ())
    lines = []
    for key in [*labels, *(k for k in data if k not in labels)]:
        if key in ignored:
            continue
        item = data.get(key)
        value = item.get("value") if isinstance(item, dict) else item
        label = f"{labels[key]} " if labels.get(key) else ""
        lines.append(f"{label}{key}: {value if value is not None else '（空）'}")
    if ignored:
        lines.append("模板里没有、微信不显示：" + "、".join(sorted(ignored)))
    if payload.get("url"):
        lines.append(f"详情链接：{payload['url']}")
    title = result.get("title")
    head = f"🔔 模板消息「{title}」" if title else "🔔 模板消息"
    return _indent(f"{head} {payload.get('template_id', '')}", "\n".join(lines))


async def run_chat(url: str, openid: str, settings: Settings, *, subscribe: bool = True,
                   lines: list[str] | None = None) -> int:
    base = url.rsplit("/wechat", 1)[0]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        sim = WeChatSim(url, settings.wechat_token, appid=settings.wechat_appid,
                        aes_key=settings.wechat_aes_key, session=session,
                        fake_url=f"{base}/fake-wechat/")
        chat = Chat(sim, base, openid)
        try:
            async with session.get(f"{base}/healthz") as resp:
                await resp.read()
        except aiohttp.ClientError:
            chat.say(f"连不上 {base}：请先在另一个终端启动服务器（README 的第一条命令）。")
            return 1
        watcher = asyncio.create_task(chat.watch(session))
        chat.say(f"融信服聊天模拟器 · 用户 {openid} · 输入 /help 看命令")
        try:
            if subscribe:
                await chat.send("/subscribe")
            await _loop(chat, lines)
            await asyncio.sleep(1.5)  # let pushes that are on their way arrive
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    return 0


async def _loop(chat: Chat, lines: list[str] | None) -> None:
    interactive = lines is None and sys.stdin.isatty()
    while True:
        if lines is not None:
            if not lines:
                return
            line = lines.pop(0)
        else:
            if interactive:
                print("你> ", end="", flush=True)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if not interactive:
            chat.say(f"你> {line}")
        await chat.send(line)
