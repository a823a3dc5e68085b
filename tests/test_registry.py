"""The registry refuses, when built, words and names that two things claim: a word
silently taken by the last intent listed would start the wrong thing for every user."""

from __future__ import annotations

import pytest

from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.registry import Intent, Registry, RegistryError


async def _answer(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step.text("ok")


class _Named(Dialog):
    def __init__(self, name: str) -> None:
        self.name = name


def test_a_word_claimed_by_two_intents_is_refused_naming_both() -> None:
    first = Intent("RATES", ("利率", "利息"), respond=_answer)
    second = Intent("LOAN_COST", ("贷款成本", "「利息」。"), respond=_answer)
    with pytest.raises(RegistryError) as refused:
        Registry([], [first, second])
    message = str(refused.value)
    assert "RATES" in message and "LOAN_COST" in message and "利息" in message


def test_a_prefix_claimed_by_two_intents_is_refused_naming_both() -> None:
    first = Intent("SEARCH", (), respond=_answer, prefixes=("搜索",))
    second = Intent("FIND", (), respond=_answer, prefixes=("搜索",))
    with pytest.raises(RegistryError, match=r"SEARCH.*FIND"):
        Registry([], [first, second])


def test_one_intent_may_list_a_word_in_two_spellings() -> None:
    registry = Registry([], [Intent("MENU_X", ("菜单X", "菜单x"), respond=_answer)])
    matched = registry.match("菜单 X。")
    assert matched is not None and matched[0].key == "MENU_X"


def test_two_intents_with_one_key_or_two_dialogs_with_one_name_are_refused() -> None:
    with pytest.raises(RegistryError, match="RATES"):
        Registry([], [Intent("RATES", ("a",), respond=_answer),
                      Intent("RATES", ("b",), respond=_answer)])
    with pytest.raises(RegistryError, match="form"):
        Registry([_Named("form"), _Named("form")], [])


def test_an_intent_starting_an_unknown_dialog_is_refused() -> None:
    with pytest.raises(RegistryError, match="nowhere"):
        Registry([], [Intent("GO", ("去",), dialog="nowhere")])


def test_the_shipped_dialogs_build_without_a_collision() -> None:
    registry = Registry.default()
    owners: dict[str, str] = {}
    for intent in registry.intents.values():
        for word in intent.words:
            matched = registry.match(word)
            assert matched is not None and matched[0].key == intent.key, word
            owners[word] = intent.key
    assert owners
