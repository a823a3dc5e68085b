"""Reading and validating the knowledge files (faq.yaml, synonyms.yaml, stopwords.txt,
userdict.txt). Pure: no jieba here, so `check` runs fast and without side effects."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.normal import match_key
from knowledge.overlay import FaqChange, apply_changes
from knowledge.text import SynonymMap

DEFAULT_DIR = Path(__file__).resolve().parent
FAQ_FILE, SYNONYMS_FILE = "faq.yaml", "synonyms.yaml"
STOPWORDS_FILE, USERDICT_FILE = "stopwords.txt", "userdict.txt"

# WeChat cuts text messages at about 2,048 bytes; the router may add a line or two.
MAX_ANSWER_BYTES = 2000

# Other code links to these entries by id (dialogs attach them to failed checks).
REQUIRED_IDS = (
    "q1_sms_code",
    "q2_personal_mismatch",
    "q3_enterprise_mismatch",
    "q4_sign_authorisation",
    "q5_change_certification",
    "q6_unexpected_error",
    "contact",
)

_ENTRY_KEYS = frozenset({"id", "question", "variants", "answer", "related"})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry: the question, other ways to ask it, the answer and the ids of related
    entries offered after it."""

    id: str
    question: str
    variants: tuple[str, ...]
    answer: str
    related: tuple[str, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """The question and its variants: what a user's message is compared with."""
        return (self.question, *self.variants)


class FaqError(Exception):
    """The knowledge files are invalid; the message names every problem found."""


UserWord = tuple[str, int | None, str | None]


@dataclass
class Knowledge:
    """The knowledge folder loaded and checked: FAQ entries, synonyms, stop words and the
    user dictionary for jieba."""

    entries: tuple[FaqEntry, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)  # alias -> canonical
    stopwords: frozenset[str] = frozenset()
    userdict: tuple[UserWord, ...] = ()


def _lines(path: Path) -> list[tuple[int, str]]:
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((number, line))
    return out


_INVALID = object()


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: invalid YAML: {' '.join(str(exc).split())}")
        return _INVALID


def _parse_synonyms(data: Any, problems: list[str]) -> dict[str, str]:
    if data is None or data is _INVALID:
        return {}
    if not isinstance(data, dict):
        problems.append(f"{SYNONYMS_FILE}: must map a canonical term to a list of aliases")
        return {}
    alias_to_canonical: dict[str, str] = {}
    canonicals = {match_key(str(c)) for c in data}
    for canonical, aliases in data.items():
        if not isinstance(canonical, str) or not match_key(canonical):
            problems.append(f"{SYNONYMS_FILE}: empty canonical term {canonical!r}")
            continue
        if not isinstance(aliases, list) or not aliases:
            problems.append(f"{SYNONYMS_FILE}: {canonical}: aliases must be a non-empty list")
            continue
        for alias in aliases:
            key = match_key(str(alias)) if isinstance(alias, str) else ""
            if not key:
                problems.append(f"{SYNONYMS_FILE}: {canonical}: empty alias {alias!r}")
            elif key == match_key(canonical):
                problems.append(f"{SYNONYMS_FILE}: {canonical}: alias equals its canonical term")
            elif key in canonicals:
                problems.append(
                    f"{SYNONYMS_FILE}: {canonical}: alias {alias!r} is itself a canonical term"
                )
            elif key in alias_to_canonical:
                problems.append(
                    f"{SYNONYMS_FILE}: alias {alias!r} is in two groups "
                    f"({alias_to_canonical[key]}, {canonical})"
                )
            else:
                alias_to_canonical[key] = canonical
    return alias_to_canonical


def _parse_userdict(path: Path, problems: list[str]) -> tuple[UserWord, ...]:
    words: list[UserWord] = []
    for number, line in _lines(path):
        parts = line.split()
        if len(parts) > 3 or (len(parts) >= 2 and not parts[1].isdigit()):
            problems.append(f"{USERDICT_FILE}:{number}: expected 'word [freq] [tag]': {line!r}")
            continue
        words.append((parts[0], int(parts[1]) if len(parts) >= 2 else None,
                      parts[2] if len(parts) == 3 else None))
    return tuple(words)


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _parse_entries(data: Any, problems: list[str]) -> list[FaqEntry]:
    if not isinstance(data, list):
        problems.append(f"{FAQ_FILE}: must be a list of entries")
        return []
    entries: list[FaqEntry] = []
    for index, item in enumerate(data, 1):
        if not isinstance(item, dict):
            problems.append(f"{FAQ_FILE}: entry #{index} is not a mapping")
            continue
        raw_id = item.get("id")
        name = f"entry {raw_id!r}" if raw_id else f"entry #{index}"
        for key in sorted(set(map(str, item)) - _ENTRY_KEYS):
            problems.append(f"{FAQ_FILE}: {name}: unknown key {key!r}")
        if not isinstance(raw_id, str) or not _ID.match(raw_id):
            problems.append(f"{FAQ_FILE}: {name}: id must match [a-z][a-z0-9_]*")
            continue
        question, answer = item.get("question"), item.get("answer")
        if not isinstance(question, str) or not match_key(question):
            problems.append(f"{FAQ_FILE}: {name}: empty question")
            question = ""
        if not isinstance(answer, str) or not answer.strip():
            problems.append(f"{FAQ_FILE}: {name}: empty answer")
            answer = ""
        elif len(answer.encode("utf-8")) > MAX_ANSWER_BYTES:
            problems.append(
                f"{FAQ_FILE}: {name}: answer is {len(answer.encode('utf-8'))} bytes "
                f"(max {MAX_ANSWER_BYTES})"
            )
        variants, related = _str_list(item.get("variants")), _str_list(item.get("related"))
        if variants is None:
            problems.append(f"{FAQ_FILE}: {name}: variants must be a list of strings")
            variants = []
        for variant in variants:
            if not match_key(variant):
                problems.append(f"{FAQ_FILE}: {name}: empty variant {variant!r}")
        if related is None:
            problems.append(f"{FAQ_FILE}: {name}: related must be a list of ids")
            related = []
        entries.append(FaqEntry(raw_id, question.strip(), tuple(v.strip() for v in variants),
                                answer.strip(), tuple(related)))
    return entries


def _check_entries(entries: list[FaqEntry], synonyms: SynonymMap, problems: list[str]) -> None:
    ids = [e.id for e in entries]
    seen: set[str] = set()
    for entry_id in ids:
        if entry_id in seen:
            problems.append(f"{FAQ_FILE}: duplicate id {entry_id!r}")
        seen.add(entry_id)
    for required in REQUIRED_IDS:
        if required not in seen:
            problems.append(f"{FAQ_FILE}: required entry {required!r} is missing")
    owner: dict[str, tuple[str, str]] = {}
    for entry in entries:
        for related in entry.related:
            if related == entry.id:
                problems.append(f"{FAQ_FILE}: entry {entry.id!r}: related to itself")
            elif related not in seen:
                problems.append(
                    f"{FAQ_FILE}: entry {entry.id!r}: related id {related!r} does not exist"
                )
        if len(set(entry.related)) != len(entry.related):
            problems.append(f"{FAQ_FILE}: entry {entry.id!r}: related ids repeated")
        # Compared as the matcher sees them: a duplicate would make two entries tie.
        for text in entry.texts:
            key = synonyms.apply(match_key(text))
            if not key:
                continue
            if key in owner:
                other_id, other_text = owner[key]
                where = (
                    "twice" if other_id == entry.id else f"also in {other_id!r} as {other_text!r}"
                )
                problems.append(
                    f"{FAQ_FILE}: entry {entry.id!r}: duplicate variant {text!r} ({where})"
                )
            else:
                owner[key] = (entry.id, text)


def knowledge_dir(directory: Path | str | None) -> Path:
    """The folder the knowledge files are read from (this package's own by default)."""
    return Path(directory) if directory is not None else DEFAULT_DIR


def read_knowledge(directory: Path | None = None,
                   changes: Sequence[FaqChange] = ()) -> tuple[Knowledge, list[str]]:
    """Parse every knowledge file, with the operators' stored edits (knowledge.overlay)
    applied to faq.yaml before it is checked; return what could be read and the problems."""
    folder = knowledge_dir(directory)
    problems: list[str] = []
    knowledge = Knowledge()
    paths = {name: folder / name for name in (FAQ_FILE, SYNONYMS_FILE, STOPWORDS_FILE,
                                              USERDICT_FILE)}
    for name, path in paths.items():
        if not path.is_file():
            problems.append(f"{name}: missing (looked in {folder})")
    if paths[SYNONYMS_FILE].is_file():
        knowledge.synonyms = _parse_synonyms(_read_yaml(paths[SYNONYMS_FILE], problems), problems)
    if paths[STOPWORDS_FILE].is_file():
        knowledge.stopwords = frozenset(line for _, line in _lines(paths[STOPWORDS_FILE]))
    if paths[USERDICT_FILE].is_file():
        knowledge.userdict = _parse_userdict(paths[USERDICT_FILE], problems)
    if paths[FAQ_FILE].is_file():
        data = _read_yaml(paths[FAQ_FILE], problems)
        if data is not _INVALID:
            data = apply_changes(data, changes, FAQ_FILE, problems)
            entries = _parse_entries(data, problems)
            _check_entries(entries, SynonymMap(knowledge.synonyms), problems)
            knowledge.entries = tuple(entries)
    return knowledge, problems


def check_knowledge(directory: Path | None = None) -> list[str]:
    """Problems in the knowledge files ([] when they are fine)."""
    return read_knowledge(directory)[1]


def load_knowledge(directory: Path | None = None,
                   changes: Sequence[FaqChange] = ()) -> Knowledge:
    """The parsed knowledge (with the stored edits applied), or FaqError naming every
    problem."""
    knowledge, problems = read_knowledge(directory, changes)
    if problems:
        raise FaqError("invalid knowledge files: " + "; ".join(problems))
    return knowledge
