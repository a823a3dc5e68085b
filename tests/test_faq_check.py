"""check_knowledge(): the real files pass; broken copies report each kind of problem."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.cli import run_check
from knowledge.loader import DEFAULT_DIR
from knowledge.matcher import FaqError, FaqMatcher, check_knowledge

FILES = ("faq.yaml", "synonyms.yaml", "stopwords.txt", "userdict.txt", "intents.yaml",
         "lexicon.yaml")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(DEFAULT_DIR / name, tmp_path / name)
    return tmp_path


def _edit_faq(folder: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = folder / "faq.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")


def _entry(entries: list[dict[str, Any]], entry_id: str) -> dict[str, Any]:
    return next(e for e in entries if e["id"] == entry_id)


def test_real_files_are_fine() -> None:
    assert check_knowledge() == []
    assert check_knowledge(DEFAULT_DIR) == []


def test_unchanged_copy_is_fine(copy: Path) -> None:
    assert check_knowledge(copy) == []


def _duplicate_id(entries: list[dict[str, Any]]) -> None:
    entries[-1]["id"] = entries[0]["id"]


def _dangling(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "contact")["related"] = ["human_agent", "no_such_entry"]


def _empty_answer(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "register")["answer"] = "   "


def _empty_question(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "register")["question"] = "？？"


def _duplicate_variant(entries: list[dict[str, Any]]) -> None:
    # Same text once synonyms apply (没收到 -> 收不到), in another entry.
    _entry(entries, "contact")["variants"].append("验证码没收到")


def _long_answer(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "contact")["answer"] = "请联系客服。" * 120


def _unknown_key(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "contact")["anwser"] = "typo"


def _missing_required(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        entry["related"] = [r for r in entry.get("related", []) if r != "q1_sms_code"]
    entries[:] = [e for e in entries if e["id"] != "q1_sms_code"]


def _self_related(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "contact")["related"] = ["contact"]


def _bad_variants(entries: list[dict[str, Any]]) -> None:
    _entry(entries, "contact")["variants"] = "联系方式"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_duplicate_id, "duplicate id"),
        (_dangling, "related id 'no_such_entry' does not exist"),
        (_empty_answer, "empty answer"),
        (_empty_question, "empty question"),
        (_duplicate_variant, "duplicate variant '验证码没收到' (also in 'q1_sms_code'"),
        (_long_answer, "bytes (max 2000)"),
        (_unknown_key, "unknown key 'anwser'"),
        (_missing_required, "required entry 'q1_sms_code' is missing"),
        (_self_related, "related to itself"),
        (_bad_variants, "variants must be a list of strings"),
    ],
)
def test_broken_faq_is_reported(
    copy: Path, change: Callable[[list[dict[str, Any]]], None], expected: str
) -> None:
    _edit_faq(copy, change)
    problems = check_knowledge(copy)
    assert any(expected in p for p in problems), problems
    with pytest.raises(FaqError, match="invalid knowledge files"):
        FaqMatcher.load(copy)


def test_duplicate_variant_inside_one_entry(copy: Path) -> None:
    _edit_faq(copy, lambda es: _entry(es, "contact")["variants"].append("联系方式！"))
    assert any("(twice)" in p for p in check_knowledge(copy))


def test_invalid_yaml(copy: Path) -> None:
    (copy / "faq.yaml").write_text("- id: x\n  question: [unclosed\n", encoding="utf-8")
    problems = check_knowledge(copy)
    assert len(problems) == 1 and "faq.yaml: invalid YAML" in problems[0]


def test_faq_must_be_a_list(copy: Path) -> None:
    (copy / "faq.yaml").write_text("id: contact\n", encoding="utf-8")
    assert "faq.yaml: must be a list of entries" in check_knowledge(copy)


def test_missing_file(copy: Path) -> None:
    (copy / "synonyms.yaml").unlink()
    assert any(p.startswith("synonyms.yaml: missing") for p in check_knowledge(copy))


def test_synonym_alias_in_two_groups(copy: Path) -> None:
    with (copy / "synonyms.yaml").open("a", encoding="utf-8") as handle:
        handle.write("收到了: [没收到]\n")
    assert any("alias '没收到' is in two groups" in p for p in check_knowledge(copy))


def test_synonym_alias_equal_to_canonical(copy: Path) -> None:
    with (copy / "synonyms.yaml").open("a", encoding="utf-8") as handle:
        handle.write("网址: [网址]\n")
    assert any("alias equals its canonical term" in p for p in check_knowledge(copy))


def test_bad_userdict_line(copy: Path) -> None:
    with (copy / "userdict.txt").open("a", encoding="utf-8") as handle:
        handle.write("融信服平台 lots n\n")
    assert any("userdict.txt:" in p and "expected 'word [freq] [tag]'" in p
               for p in check_knowledge(copy))


def test_run_check_exit_codes(copy: Path) -> None:
    out = io.StringIO()
    assert run_check(copy, out) == 0
    assert "knowledge OK" in out.getvalue()
    _edit_faq(copy, _dangling)
    out = io.StringIO()
    assert run_check(copy, out) == 1
    assert "no_such_entry" in out.getvalue()


def test_run_check_covers_the_intents_and_the_lexicon(copy: Path) -> None:
    (copy / "intents.yaml").write_text("intents:\n  STATUS: {examples: []}\n", "utf-8")
    (copy / "lexicon.yaml").write_text("institutions: [工行]\n", "utf-8")
    out = io.StringIO()
    assert run_check(copy, out) == 1
    text = out.getvalue()
    assert "STATUS: needs a non-empty examples list" in text and "lexicon.yaml" in text
