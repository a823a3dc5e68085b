"""Everything the repository cites lives in it: no file names a development machine's
path or a design note kept outside (docs/ holds what the code relies on)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Spelled in pieces so a grep of the repository does not find them here; the test
# skips this file anyway.
OUTSIDE = ("/" + "work/", "/" + "home/", "/" + "root/", "/" + "Users/", "DESIGN" + ".md",
           "_NOTES" + ".md", "../" + "shared")
# Made by running things here (the venv, caches, the embedded database), not written.
SKIP = {"var", "__pycache__", "build", "dist"}


def test_no_file_names_a_path_outside_the_repository() -> None:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if not path.is_file() or any(p.startswith(".") or p in SKIP for p in parts[:-1]):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        # This list itself; and `.git`, a file in a git worktree naming where it lives.
        if path.resolve() == Path(__file__).resolve() or parts == (".git",):
            continue
        found += [f"{'/'.join(parts)}: {word}" for word in OUTSIDE if word in text]
    assert not found, found
