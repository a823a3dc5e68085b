"""Invariants are guarded by explicit errors, never by `assert`: `python -O` strips
asserts, and the guard with them. Tests may assert; the packages may not. Closed sets of
values are Literal types their dataclasses check on construction."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from bot.commands import Command, CommandName, parse
from bot.inbound import Inbound, InboundKind

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dialogs", "state_machines", "adapters", "knowledge", "ops", "devtools",
            "config")


def test_no_assert_guards_behaviour_in_the_packages() -> None:
    found = []
    files = [ROOT / "server.py"]
    files += [p for package in PACKAGES if (ROOT / package).is_dir()
              for p in sorted((ROOT / package).rglob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
                  for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert len(files) > 50, "the walk found the packages"
    assert not found, "assert in package code (raise a specific error instead): " + \
        ", ".join(found)


def test_an_inbound_kind_or_command_name_outside_their_literals_is_refused() -> None:
    for kind in get_args(InboundKind):
        assert Inbound(openid="o", kind=kind).kind == kind
    with pytest.raises(ValueError, match="vote"):
        Inbound(openid="o", kind="vote")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dance"):
        Command("dance")  # type: ignore[arg-type]
    parsed = {parse(w) for w in ("取消", "上一步", "帮助", "菜单", "转人工", "结束人工",
                                  "继续填写", "重新开始", "修改 手机号", "你好", "谢谢")}
    assert {c.name for c in parsed if c is not None} == set(get_args(CommandName))
