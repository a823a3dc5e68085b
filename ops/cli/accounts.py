"""`python -m bot sms outbox [--phone P]` and `python -m bot login new|list`.

sms outbox: what the local SMS gateway recorded (phones masked unless --phone names one).
login new: what the web platform does when it shows its login QR code, so the QR flow can
be tried in the chat simulator (/scan <scene>); login list: the scenes and their answers.
"""

from __future__ import annotations

import argparse
from datetime import timedelta, timezone
from typing import Any

from adapters.platform_local import LocalPlatform
from config.settings import Settings
from dialogs.masking import mask_phone
from dialogs.validators import Invalid, mobile
from wiring.runtime import tool_runtime

BEIJING = timezone(timedelta(hours=8))


def add_parsers(sub: Any) -> None:
    sms = sub.add_parser("sms", help="SMS tools (local gateway)")
    sms_sub = sms.add_subparsers(dest="sms_command", required=True)
    outbox = sms_sub.add_parser("outbox", help="messages the local SMS gateway recorded")
    outbox.add_argument("--phone", help="only this phone, shown unmasked")
    outbox.add_argument("--limit", type=int, default=20)

    login = sub.add_parser("login", help="web-login QR scenes (local platform)")
    login_sub = login.add_subparsers(dest="login_command", required=True)
    new = login_sub.add_parser("new", help="create a login scene, as the web platform does")
    new.add_argument("--qrcode", action="store_true",
                     help="also create its QR code through the WeChat API (server running)")
    listing = login_sub.add_parser("list", help="recent login scenes and their answers")
    listing.add_argument("--limit", type=int, default=20)


async def dispatch(settings: Settings, args: argparse.Namespace) -> int | None:
    if args.command == "sms":
        return await sms_outbox(settings, args)
    if args.command == "login":
        return await login(settings, args)
    return None


async def sms_outbox(settings: Settings, args: argparse.Namespace) -> int:
    phone = None
    if args.phone:
        try:
            phone = mobile(args.phone)
        except Invalid as exc:
            print(f"--phone: {exc.reason}")
            return 2
    if settings.sms != "local":
        print("RXF_SMS=http: messages go to the gateway and are not recorded here")
        return 1
    async with tool_runtime(settings) as rt:
        rows = await rt.ports.sms.outbox(phone=phone, limit=args.limit)
    if not rows:
        print("no SMS recorded" + (" for that phone" if phone else ""))
    for row_id, to, text, at in rows:
        shown = to if phone else mask_phone(to)
        print(f"#{row_id:<5} {at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S} {shown}  {text}")
    return 0


async def login(settings: Settings, args: argparse.Namespace) -> int:
    async with tool_runtime(settings) as rt:
        platform = rt.ports.platform
        if not isinstance(platform, LocalPlatform):
            print("RXF_PLATFORM=http: login scenes are created by the platform")
            return 1
        if args.login_command == "list":
            for item in await platform.list_logins(args.limit):
                decided = (f" decided {item.decided_at.astimezone(BEIJING):%H:%M:%S}"
                           if item.decided_at else "")
                print(f"{item.scene}  {item.status:<9} created "
                      f"{item.created_at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}{decided}")
            return 0
        scene = await platform.create_login_scene()
        print(f"login scene: {scene} (usable once, expires in 5 minutes)")
        print(f"in `python -m bot chat`: /scan {scene}   (a new follower: /subscribe {scene})")
        if args.qrcode:
            try:
                qr = await rt.api.create_qrcode(scene, 300)
                print(f"QR ticket: {qr.get('ticket')}  url: {qr.get('url')}")
            except Exception as exc:  # the CLI reports, whatever the API did
                print(f"QR code not created ({exc}); the scene works without it")
    return 0
