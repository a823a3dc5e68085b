"""The peer bench/peers.py measures us against: WeRoBot's echo, served by gunicorn.

    gunicorn -w 1 bench.werobot_echo:app

What a Python team would otherwise start from: the signature checked, the XML parsed,
the text echoed back as a passive reply. No session, no database, no log line.
"""

from __future__ import annotations

from werobot import WeRoBot

from config.settings import DEV_TOKEN

robot = WeRoBot(token=DEV_TOKEN)
robot.config["SESSION_STORAGE"] = False  # no state: the echo keeps nothing


@robot.text
def echo(message: object) -> str:
    """Answer a text with the same text."""
    return str(message.content)  # type: ignore[attr-defined]


app = robot.wsgi
