"""Servers the benchmarks measure, each in its own process.

    python bench/serve.py bot  --port P --db URL [--schema S] [--workers N]
    python bench/serve.py bare --port P

`bare` is the protocol floor: an aiohttp handler that checks the signature, parses the
XML with wechatpy and renders a text reply, with no state at all. `bot` is the real
server with the tests' demo form added (RXF_EXTRA_DIALOGS), so a form can be walked.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from aiohttp import web
from wechatpy import parse_message
from wechatpy.replies import TextReply

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.wechat_io import signature_ok
from config.settings import DEV_TOKEN, load_settings


async def bare(request: web.Request) -> web.Response:
    q = request.query
    if not signature_ok(DEV_TOKEN, q.get("signature"), q.get("timestamp"), q.get("nonce")):
        return web.Response(status=403)
    msg = parse_message(await request.text())
    return web.Response(text=TextReply(message=msg, content="收到").render(),
                        content_type="application/xml")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("bot", "bare"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", default="")
    parser.add_argument("--schema", default=None)
    parser.add_argument("--var", default="/tmp/rxf-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.mode == "bare":
        app = web.Application()
        app.router.add_post("/wechat", bare)
        web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
        return
    from wiring.app import build_app

    settings = load_settings(port=args.port, database_url=args.db, database_schema=args.schema,
                             var_dir=args.var, rate_limit_per_minute=10_000,
                             extra_dialogs="tests.demo_dialog")
    app = build_app(settings)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
