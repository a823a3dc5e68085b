"""`python -m bot <command>`: the operator's and newcomer's command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bot.settings import SettingsError


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
    unanswered = faq_sub.add_parser("unanswered", help="questions without a confident answer")
    unanswered.add_argument("--limit", type=int, default=50)
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

    # Subcommands of the accounts and demands features register themselves here.
    from bot import cli_accounts, cli_demands, cli_templates, cli_tickets

    for module in (cli_accounts, cli_demands, cli_templates, cli_tickets):
        add = getattr(module, "add_parsers", None)
        if add is not None:
            add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from bot import cli
    from bot.templates import dev_default

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
