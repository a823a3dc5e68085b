"""`python -m bot <command>`: the operator's and newcomer's command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from config.settings import SettingsError
from ops.cli import faq as cli_faq
from ops.cli.families import FAMILIES


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="融信服 WeChat bot tools")
    sub = p.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="chat with a running server as WeChat would")
    chat.add_argument("--openid", default="o_chat_demo_user")
    chat.add_argument("--url", default=None, help="default http://RXF_HOST:RXF_PORT/wechat")
    chat.add_argument("--no-subscribe", action="store_true", help="skip the follow event")

    sub.add_parser("menu-sync", help="publish the custom menu through the WeChat API")

    faq = sub.add_parser("faq", help="FAQ tools")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    ask = faq_sub.add_parser("ask", help="show the ranking for a question")
    ask.add_argument("question")
    faq_sub.add_parser("check", help="validate the knowledge files")
    cli_faq.add_parsers(faq_sub)  # unanswered and the FAQ edits
    reload = faq_sub.add_parser("reload", help="make a running server reload the knowledge")
    reload.add_argument("--url", default=None)

    outbox = sub.add_parser("outbox", help="what is queued, sent, dead and why")
    outbox.add_argument("--status", choices=("pending", "waiting", "sent", "dead", "ended"))
    outbox.add_argument("--retry", type=int, metavar="ID", help="re-queue a dead row")
    outbox.add_argument("--limit", type=int, default=30)

    sub.add_parser("push-worker", help="run the push worker alone")
    sub.add_parser("diagrams", help="redraw docs/dialogs.md from the dialogs and lifecycle")

    fake = sub.add_parser("fake-wechat", help="run the fake WeChat API alone")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8090)

    for family in FAMILIES:
        family.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from bot.templates import dev_default
    from ops.cli import main as cli

    # The same templates as `python server.py` with nothing configured (the example).
    os.environ.update(dev_default(os.environ))

    try:
        return asyncio.run(cli.dispatch(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
