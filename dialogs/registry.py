"""Which dialogs exist and which words or menu keys start what.

Each dialog module exports `DIALOGS` and `INTENTS`; `Registry.default()` collects the
modules listed in `MODULES`. Tests build their own registry with extra dialogs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from dialogs.base import ConvState, Dialog, Step, StepContext

MODULES = (
    "dialogs.help",
    "dialogs.human",
    "dialogs.register",
    "dialogs.certify",
    "dialogs.enterprise",
    "dialogs.login",
    "dialogs.demand_publish",
    "dialogs.demand_list",
    "dialogs.demand_status",
    "dialogs.catalog",
    "dialogs.loan_answers",
    "dialogs.consent",
    "dialogs.privacy",
    "dialogs.account_delete",
    "dialogs.ticket_report",
    "dialogs.ticket_verify",
    "dialogs.ticket_status",
)

Responder = Callable[[StepContext, ConvState, str], Awaitable[Step]]
# The argument an inline intent's responder gets when it answers inside a form.
INLINE = "inline"


@dataclass(frozen=True)
class Intent:
    key: str
    words: tuple[str, ...]
    dialog: str | None = None
    respond: Responder | None = None
    # Words that may be followed by an argument: "搜索 流动资金" -> arg "流动资金".
    prefixes: tuple[str, ...] = ()
    # A question answered with facts: asked in the middle of a form, it is answered
    # there (`respond` gets arg INLINE and must leave the conversation as it is) and
    # the form's question is asked again.
    inline: bool = False
    # The message is also recorded for the operators (a complaint), as an unanswered
    # question is.
    record: bool = False


class Registry:
    def __init__(self, dialogs: Iterable[Dialog], intents: Iterable[Intent]) -> None:
        self.dialogs = {d.name: d for d in dialogs}
        self.intents = {i.key: i for i in intents}
        self._words: dict[str, Intent] = {}
        for intent in self.intents.values():
            if intent.dialog and intent.dialog not in self.dialogs:
                raise ValueError(f"intent {intent.key} starts unknown dialog {intent.dialog}")
            for word in intent.words:
                self._words[_fold(word)] = intent
        self._prefixes = sorted(
            ((p, i) for i in self.intents.values() for p in i.prefixes),
            key=lambda pi: -len(pi[0]))

    @classmethod
    def default(cls, extra_modules: Iterable[str] = ()) -> Registry:
        dialogs: list[Dialog] = []
        intents: list[Intent] = []
        for name in (*MODULES, *extra_modules):
            module = importlib.import_module(name)
            dialogs += getattr(module, "DIALOGS", [])
            intents += getattr(module, "INTENTS", [])
        return cls(dialogs, intents)

    def dialog(self, name: str) -> Dialog | None:
        return self.dialogs.get(name)

    def by_key(self, key: str) -> Intent | None:
        return self.intents.get(key)

    def match(self, text: str) -> tuple[Intent, str] | None:
        folded = _fold(text)
        intent = self._words.get(folded)
        if intent is not None:
            return intent, ""
        for prefix, intent in self._prefixes:
            if folded.startswith(_fold(prefix)) and len(folded) > len(_fold(prefix)):
                return intent, text.strip()[len(prefix):].strip()
        return None


_PUNCT = re.compile(r"[\s,.!?;:，。！？；：、~…「」『』“”\"'()（）]+")


def _fold(text: str) -> str:
    return _PUNCT.sub("", text).lower()
