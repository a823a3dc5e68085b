"""JSON on the wire for the platform API (docs/platform-api.md): the port's dataclasses
to and from plain JSON. Money travels as decimal strings ("200000.00"), times as ISO
8601 with offset, tuples as arrays; unknown keys are ignored so the platform can add
fields without breaking us.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

from adapters.platform_port import Page

T = TypeVar("T")


class WireError(ValueError):
    """The platform answered JSON that does not fit the documented shape."""


def to_wire(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_wire(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def from_wire(cls: type[T], data: Any) -> T:
    try:
        return typing.cast(T, _decode(cls, data))
    except WireError:
        raise
    except (TypeError, ValueError, KeyError, InvalidOperation) as exc:
        raise WireError(f"{cls.__name__}: {exc}") from None


def page_from_wire(item: type[T], data: Any) -> Page[T]:
    if not isinstance(data, dict):
        raise WireError("Page: expected an object")
    items = tuple(from_wire(item, i) for i in data.get("items") or ())
    return Page(items=items, total=int(data.get("total", len(items))),
                page=int(data.get("page", 1)), size=int(data.get("size", len(items) or 1)))


def page_to_wire(page: Page[Any]) -> dict[str, Any]:
    return {"items": to_wire(page.items), "total": page.total, "page": page.page,
            "size": page.size}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _decode(args[0], value)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            raise WireError(f"expected an array, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise WireError(f"{tp.__name__}: expected an object")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = _decode(hints[f.name], value[f.name])
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise WireError(f"{tp.__name__}: missing {f.name!r}")
        return tp(**kwargs)
    if tp is Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise WireError(f"expected a decimal string, got {value!r}")
        return Decimal(str(value))
    if tp is datetime:
        parsed = datetime.fromisoformat(str(value))
        if parsed.tzinfo is None:
            raise WireError(f"time without offset: {value!r}")
        return parsed
    if tp in (str, int, bool):
        if (tp is int and isinstance(value, bool)) or not isinstance(value, tp):
            raise WireError(f"expected {tp.__name__}, got {value!r}")
        return value
    return value
