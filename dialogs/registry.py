"""Which dialogs exist and which words or menu keys start what.

Each dialog module exports `DIALOGS` and `INTENTS`; `Registry.default()` collects the
modules listed in `MODULES`. Tests build their own registry with extra dialogs.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from dialogs.base import ConvState, Dialog, Step, StepContext
from knowledge.normal import keyword_key

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


class RegistryError(ValueError):
    """The dialogs and intents do not fit together (a word two intents claim, a name
    used twice, an intent starting an unknown dialog); raised when the registry is built,
    so a release with the mistake never starts."""


@dataclass(frozen=True)
class Intent:
    """Something a user can ask for by an exact word, a menu key or an understood
    reading: it either starts `dialog` or is answered by `respond`."""

    # Unique; the menu and the understanding (knowledge/intents.yaml) name it by this.
    key: str
    # Exact words that start it ("注册", "我要注册"); case, spaces and punctuation
    # ignored (knowledge.normal.keyword_key). A word belongs to one intent only.
    words: tuple[str, ...]
    # The dialog it starts, or None when `respond` answers it.
    dialog: str | None = None
    # Answers without a dialog of its own (gets the message, or INLINE inside a form).
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
    """The dialogs and intents of one release, and the exact words that start them.

    Built once at start-up; raises RegistryError when two dialogs share a name, two
    intents a key or a word, or an intent starts a dialog that is not there."""

    def __init__(self, dialogs: Iterable[Dialog], intents: Iterable[Intent]) -> None:
        self.dialogs: dict[str, Dialog] = {}
        for dialog in dialogs:
            if dialog.name in self.dialogs:
                raise RegistryError(f"two dialogs are named {dialog.name!r}")
            self.dialogs[dialog.name] = dialog
        self.intents: dict[str, Intent] = {}
        for intent in intents:
            if intent.key in self.intents:
                raise RegistryError(f"two intents have the key {intent.key!r}")
            self.intents[intent.key] = intent
        self._words: dict[str, Intent] = {}
        for intent in self.intents.values():
            if intent.dialog and intent.dialog not in self.dialogs:
                raise RegistryError(
                    f"intent {intent.key} starts unknown dialog {intent.dialog}")
            for word in intent.words:
                folded = keyword_key(word)
                owner = self._words.setdefault(folded, intent)
                if owner is not intent:
                    raise RegistryError(
                        f"the word {word!r} is claimed by two intents: {owner.key} and "
                        f"{intent.key}; give it to one of them")
        prefixes: dict[str, Intent] = {}
        for intent in self.intents.values():
            for prefix in intent.prefixes:
                owner = prefixes.setdefault(keyword_key(prefix), intent)
                if owner is not intent:
                    raise RegistryError(
                        f"the prefix {prefix!r} is claimed by two intents: {owner.key} and "
                        f"{intent.key}; give it to one of them")
        self._prefixes = sorted(
            ((p, i) for i in self.intents.values() for p in i.prefixes),
            key=lambda pi: -len(pi[0]))

    @classmethod
    def default(cls, extra_modules: Iterable[str] = ()) -> Registry:
        """The registry of the dialog modules in MODULES plus `extra_modules` (each
        exports DIALOGS and INTENTS, either may be absent)."""
        dialogs: list[Dialog] = []
        intents: list[Intent] = []
        for name in (*MODULES, *extra_modules):
            module = importlib.import_module(name)
            dialogs += getattr(module, "DIALOGS", [])
            intents += getattr(module, "INTENTS", [])
        return cls(dialogs, intents)

    def dialog(self, name: str) -> Dialog | None:
        """The dialog of this name, or None (e.g. a conversation saved by an older release)."""
        return self.dialogs.get(name)

    def by_key(self, key: str) -> Intent | None:
        """The intent of this key, or None."""
        return self.intents.get(key)

    def match(self, text: str) -> tuple[Intent, str] | None:
        """The intent `text` names exactly, with "" as argument; or the intent whose
        prefix it starts with and what follows the prefix ("搜索 流动资金"); else None."""
        folded = keyword_key(text)
        intent = self._words.get(folded)
        if intent is not None:
            return intent, ""
        for prefix, intent in self._prefixes:
            if folded.startswith(keyword_key(prefix)) and len(folded) > len(keyword_key(prefix)):
                return intent, text.strip()[len(prefix):].strip()
        return None

