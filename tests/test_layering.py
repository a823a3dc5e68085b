"""Imports run one way (docs/architecture.md, "Layers"): a module imports its own unit
or a unit below it, never one above, not even inside a function or under TYPE_CHECKING.

Read from the source with ast, so an import hidden in a function body counts too."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Units from the top down; a unit may import units of a lower rank and itself.
RANKS: dict[str, int] = {
    "entry": 9,          # server.py, bot/__main__.py, ops.cli, wiring.serve/supervisor
    "ops.console": 8,    # the web console
    "ops.actions": 7,    # the one operator layer the CLI and the console call
    "wiring": 6,         # the composition root: runtime and webhook app
    "devtools": 5,       # fake WeChat API, chat simulator, dev routes, diagrams
    "bot": 4,            # the runtime core
    "dialogs": 3,
    "adapters": 2,
    "state_machines": 1,
    "knowledge": 1,
    "config": 0,
}
ENTRY = ("server", "bot.__main__", "ops.cli", "ops.__init__", "wiring.serve",
         "wiring.supervisor")
# Dialogs reach the outside through ports only: the port modules, never an
# implementation (docs/architecture.md, "Ports").
DIALOG_ADAPTERS = ("adapters.ports", "adapters.platform_port", "adapters.catalog_port",
                   "adapters.ticket_port", "adapters.masking")


def unit_of(module: str) -> str | None:
    """The layering unit a dotted module name belongs to (None: not ours)."""
    if module == "ops" or module.startswith(ENTRY):
        return "entry"
    for unit in sorted(RANKS, key=len, reverse=True):
        if module == unit or module.startswith(unit + "."):
            return unit
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] or ["__init__"]
    return ".".join(parts)


def imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """Every absolute module an ast imports (relative imports resolved to the package)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from ops import cli` names the module ops.cli.
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def sources() -> list[Path]:
    files = [ROOT / "server.py"]
    for unit in ("bot", "ops", "devtools", "wiring", "config", "dialogs", "state_machines",
                 "adapters", "knowledge"):
        files += sorted((ROOT / unit).rglob("*.py"))
    return files


def check(module: str, package: str, source: str, where: str) -> list[str]:
    """Every import of one module's source that points up a layer, or from a dialog
    into an adapter's insides."""
    own = unit_of(module)
    assert own is not None, f"{module} belongs to no layer; add it to RANKS"
    problems = []
    for line, target in imported(ast.parse(source), package):
        said = f"{where}:{line} imports {target}"
        if target == "server" or target.startswith("server."):
            problems.append(f"{said} (server.py is a script: build through wiring)")
            continue
        other = unit_of(target)
        if other is None or other == own:
            continue
        if RANKS[other] >= RANKS[own]:
            problems.append(f"{said} ({own} may not import {other})")
        elif own == "dialogs" and other == "adapters" and not (
                target.startswith(DIALOG_ADAPTERS) or target == "adapters"):
            problems.append(f"{said} (dialogs reach adapters through ports only)")
    return problems


def test_imports_run_one_way() -> None:
    problems = []
    for path in sources():
        module = module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        problems += check(module, package, path.read_text(encoding="utf-8"),
                          str(path.relative_to(ROOT)))
    assert problems == []


@pytest.mark.parametrize(("path", "source"), [
    ("adapters/factory.py", "from bot.settings import Settings\n"),
    ("ops/cli/main.py", "def runtime():\n    from server import build_runtime\n"),
    ("ops/console/app.py", "from ops.cli import main\n"),
    ("wiring/runtime.py", "from ops.actions import outbox\n"),
    ("state_machines/demand.py", "from adapters.platform_port import IllegalMove\n"),
    ("dialogs/demand_publish.py", "from adapters.platform_local import LocalPlatform\n"),
    ("knowledge/matcher.py", "from dialogs import replies\n"),
    ("bot/handler.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from wiring.runtime import Runtime\n"),
    ("config/settings.py", "from bot import templates\n"),
])
def test_the_check_catches_an_upward_import(path: str, source: str) -> None:
    # The kinds of import issue 16 found, each planted in the place of a real module.
    module = module_name(ROOT / path)
    assert check(module, module.rpartition(".")[0], source, path)


def test_every_package_says_what_it_holds_and_may_import() -> None:
    for unit in ("bot", "ops", "devtools", "wiring", "config", "dialogs", "state_machines",
                 "adapters", "knowledge"):
        for init in (ROOT / unit).rglob("__init__.py"):
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
            assert doc and len(doc) > 40, f"{init.relative_to(ROOT)} needs a docstring"


def test_the_readme_layout_names_every_top_level_folder() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named = {line.split()[0].rstrip("/") for line in block.splitlines()
             if line and not line.startswith(" ")}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    folders = {path.split("/")[0] for path in tracked
               if "/" in path and not path.startswith(".")}
    folders |= {path for path in tracked if path.endswith(".py") and "/" not in path}
    assert named == folders
