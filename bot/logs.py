"""Logging as one JSON object per line, with ID numbers and phones masked in every line:
the message with its arguments, every extra field (nested ones and numbers too), the
traceback and the stack."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from dialogs.masking import mask_text

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Extra fields our own code fills with values that cannot hold personal data (hashes,
# names of dialogs and states, numbers it measured): written as they are, not masked.
PLAIN = "rxf_plain"


class JsonFormatter(logging.Formatter):
    """Formats a log record as one JSON line with personal data masked (this module's
    docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line: time, level, logger, masked message, masked extra fields
        and traceback."""
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key != PLAIN:
                line[key] = masked(value)
        plain = getattr(record, PLAIN, None)
        if isinstance(plain, dict):
            line.update(plain)
        if record.exc_info:
            line["error"] = mask_text(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = mask_text(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=lambda v: mask_text(str(v)))


def masked(value: Any) -> Any:
    """`value` for the JSON line with personal numbers masked wherever they sit: a phone
    passed as an int, or inside a dict or list of extra fields, is masked as in text."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        text = str(value)
        hidden = mask_text(text)
        return value if hidden == text else hidden
    if isinstance(value, dict):
        return {str(k): masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [masked(v) for v in value]
    return mask_text(str(value))


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
