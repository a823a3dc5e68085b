"""Logging as one JSON object per line, with ID numbers and phones masked in every line."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from dialogs.masking import mask_text

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = mask_text(value) if isinstance(value, str) else value
        if record.exc_info:
            line["error"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def setup(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # One line per message is ours; aiohttp's access log would double it.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # transitions says "Finished processing state ... callbacks" at INFO on every form
    # step: close to half of all lines, and nothing an operator acts on.
    logging.getLogger("transitions").setLevel(logging.WARNING)
