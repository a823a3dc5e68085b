"""Invariants are guarded by explicit errors, never by `assert`: `python -O` strips
asserts, and the guard with them. Tests may assert; the packages may not."""

from __future__ import annotations

import ast
from pathlib import Path

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
