"""The code explains itself to its next maintainer: every public class says what it is
for, and every public function of a port or of the core says what it is for and its
contract. Read with `ast`, so nothing is imported.

Rules (a name is public when it does not start with "_"):
- every public class, at any depth, in every module of the packages below;
- every public function and every public method of a public class in the port and core
  modules (adapters/ports.py, adapters/platform_port.py, dialogs/base.py), and every
  public method of a public class of bot/ (property setters and deleters excepted: the
  getter speaks for them);
- every package opens with a docstring saying what it holds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dialogs", "state_machines", "adapters", "knowledge", "ops", "devtools",
            "wiring", "config")
PORT_AND_CORE_MODULES = ("adapters/ports.py", "adapters/platform_port.py", "dialogs/base.py")
CORE_PACKAGES = ("bot/", "wiring/", "config/")

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(ROOT).as_posix()
            yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _public(name: str) -> bool:
    return not name.startswith("_")


def _classes(body: list[ast.stmt], prefix: str = "") -> Iterator[tuple[str, ast.ClassDef]]:
    """Every class of a body with its dotted name, nested ones too."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield prefix + node.name, node
            yield from _classes(node.body, f"{prefix}{node.name}.")
        elif isinstance(node, Function | ast.If | ast.Try | ast.With):
            yield from _classes(_inner(node), prefix)


def _inner(node: ast.stmt) -> list[ast.stmt]:
    body = list(getattr(node, "body", []))
    for part in ("orelse", "finalbody"):
        body += getattr(node, part, [])
    for handler in getattr(node, "handlers", []):
        body += handler.body
    return body


def _accessor(function: Function) -> bool:
    """A property's setter or deleter: documented by its getter."""
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
               for d in function.decorator_list)


def _is_core(rel: str) -> bool:
    return rel in PORT_AND_CORE_MODULES or rel.startswith(CORE_PACKAGES)


def _checked_functions(rel: str, tree: ast.Module) -> Iterator[tuple[str, Function]]:
    """The functions the second rule reads in one module, with their dotted names."""
    if rel in PORT_AND_CORE_MODULES:
        yield from ((node.name, node) for node in tree.body if isinstance(node, Function))
    if _is_core(rel):
        for name, cls in _classes(tree.body):
            if all(_public(part) for part in name.split(".")):
                yield from ((f"{name}.{node.name}", node)
                            for node in cls.body if isinstance(node, Function))


def test_every_public_class_has_a_docstring() -> None:
    missing = [f"{rel}:{node.lineno} class {name}"
               for rel, tree in _modules() for name, node in _classes(tree.body)
               if all(_public(part) for part in name.split(".")) and not ast.get_docstring(node)]
    assert not missing, "public classes without a docstring:\n" + "\n".join(missing)


def test_every_public_function_of_a_port_or_the_core_has_a_docstring() -> None:
    missing = [f"{rel}:{node.lineno} def {name}"
               for rel, tree in _modules() for name, node in _checked_functions(rel, tree)
               if _public(node.name) and not _accessor(node) and not ast.get_docstring(node)]
    assert not missing, "public functions without a docstring:\n" + "\n".join(missing)


def test_every_package_says_what_it_holds() -> None:
    missing = [rel for rel, tree in _modules()
               if rel.endswith("__init__.py") and not ast.get_docstring(tree)]
    assert not missing, "packages without a docstring: " + ", ".join(missing)


def test_the_rules_see_what_they_should() -> None:
    """The walk finds the modules and names it is about (a rule that sees nothing passes
    for nothing)."""
    seen = {rel: tree for rel, tree in _modules()}
    assert "bot/router.py" in seen and "adapters/ports.py" in seen
    classes = {name for tree in seen.values() for name, _ in _classes(tree.body)}
    assert {"Router", "Registry", "FormDialog", "Platform", "FaqPort"} <= classes
    assert _is_core("bot/router.py") and _is_core("adapters/platform_port.py")
    assert not _is_core("dialogs/register.py")
