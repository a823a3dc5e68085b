"""What every dialog is made of: the conversation record it edits, the context it is
given (ports to the outside, clock, idempotency key) and the result of one step.

Dialogs never import aiohttp, wechatpy or SQLAlchemy: everything outside reaches them
through `StepContext.ports`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dialogs.replies import Reply, Text

if TYPE_CHECKING:
    from adapters.ports import Ports
    from knowledge.understanding import Understanding


@dataclass(frozen=True)
class Forget:
    """What the step's own commit erases of this user instead of saving the
    conversation (bot/forget.py): `account` (注销) every row of the openid in every
    table, and the rows of these phones; otherwise (unsubscribe) the conversation and
    the deliveries."""

    account: bool = False
    phones: tuple[str, ...] = ()
    detail: str = ""  # for the audit line: never personal data


@dataclass
class ConvState:
    """One user's conversation: the active dialog, where it stands and what it holds."""

    openid: str
    dialog: str | None = None
    state: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    # Dialog-private working data (paging, a soft-rejected value); cleared with the dialog.
    scratch: dict[str, Any] = field(default_factory=dict)
    # A numbered choice offered by the router (menu, FAQ suggestions); lives one message.
    choices: dict[str, Any] | None = None
    # A dialog put aside (idle or interrupted) that 继续填写 brings back, for 7 days.
    paused: dict[str, Any] | None = None
    # Values said for a dialog that could not start yet ("我想贷款五十万" before
    # certification): {"dialog", "values", "at"}; that dialog starts with them later.
    kept: dict[str, Any] | None = None
    # While a human agent plausibly holds the conversation (ISO time it ends), the
    # user's messages are transferred to the agents instead of being answered.
    human_until: str | None = None
    updated_at: datetime | None = None
    version: int = 0
    # Set by a step that erases the user (注销); never stored.
    forget: Forget | None = None

    def clear_dialog(self) -> None:
        """Close the active dialog: its name, state, answers and scratch go; what was put
        aside (`paused`, `kept`) and the pending choice stay."""
        self.dialog = None
        self.state = None
        self.values = {}
        self.scratch = {}

    def snapshot(self, now: datetime) -> dict[str, Any]:
        """The active dialog as a JSON-able dict stamped `now`, to put aside in `paused`
        and bring back with `restore`."""
        return {"dialog": self.dialog, "state": self.state, "values": self.values,
                "scratch": self.scratch, "at": now.isoformat()}

    def restore(self, snap: dict[str, Any]) -> None:
        """Make a `snapshot` the active dialog again (copies: the snapshot stays intact)."""
        self.dialog = snap["dialog"]
        self.state = snap["state"]
        self.values = dict(snap.get("values") or {})
        self.scratch = dict(snap.get("scratch") or {})


@dataclass
class StepContext:
    """What one step of a dialog is given besides the conversation: who is talking, the
    message's time (`now`, never the clock), the delivery's idempotency key that every
    write to the platform must carry, and the ports to the outside."""

    openid: str
    now: datetime
    idem_key: str
    ports: Ports
    # A slow step calls this first; the user sees the hint at once and the answer later.
    set_hint: Callable[[str], None] = lambda _hint: None
    # The message's text and what reads it (knowledge.understanding); None for events.
    text: str = ""
    reader: Callable[[str], Understanding | None] | None = None
    _read: bool = field(default=False, repr=False)
    _reading: Understanding | None = field(default=None, repr=False)

    @property
    def understood(self) -> Understanding | None:
        """How this message reads (intent and slots): read once, when first asked, so an
        exact command or a form's own answer, which never ask, cost no reading."""
        if not self._read:
            self.understood = self.reader(self.text) if self.reader and self.text else None
        return self._reading

    @understood.setter
    def understood(self, reading: Understanding | None) -> None:
        self._read, self._reading = True, reading


@dataclass
class Step:
    """The result of one dialog step: what to say, and whether the message was taken
    (`rejected` lets the router try it as something else) or chains into another dialog."""

    say: list[Reply] = field(default_factory=list)
    # The message did not answer the current question (the router may try the FAQ).
    rejected: bool = False
    # Chain into another dialog; its first question is appended to `say`.
    start: str | None = None
    start_arg: str = ""

    @classmethod
    def text(cls, *parts: str, **kw: Any) -> Step:
        """One text reply made of the non-empty `parts`, a blank line between them."""
        return cls(say=[Text("\n\n".join(p for p in parts if p))], **kw)


class Dialog:
    """Base of every conversation. Forms use `dialogs.form.FormDialog`; list-like
    dialogs (my demands, switching enterprise) subclass this directly."""

    # Unique key the registry, the conversation row and `Step.start` name it by.
    name: str = ""
    # What the user reads of it (「注册」, 「发布需求」).
    title: str = ""
    # False for a dialog with nothing worth keeping: the router closes it instead of
    # putting it aside for 继续填写 (lists, searches, a yes/no question).
    resumable: bool = True

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        """Take the conversation over and ask the first question; `arg` is the text that
        started it (values may be read from it) or `registry.INLINE`."""
        raise NotImplementedError

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        """Answer the user's message at the current state. A message that does not
        answer the question returns `rejected=True` and changes nothing."""
        raise NotImplementedError

    async def back(self, ctx: StepContext, conv: ConvState) -> Step:
        """上一步: return to the previous question; by default there is none."""
        return Step.text("这一步没有上一步了。", await self.prompt(ctx, conv))

    async def edit(self, ctx: StepContext, conv: ConvState, what: str) -> Step | None:
        """修改 <what>; None when this dialog has nothing by that name."""
        return None

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        """The current question, asked again after help or an FAQ answer."""
        return ""

    async def on_image(self, ctx: StepContext, conv: ConvState, media_id: str) -> Step | None:
        """An image sent during this dialog; None when no question wants one."""
        return None

    def progress(self, conv: ConvState) -> str:
        """How far the user got (「已填3项」), shown when offering to carry on; "" for none."""
        return ""

    async def on_cancel(self, ctx: StepContext, conv: ConvState) -> str | None:
        """取消 in this dialog: what to say when cancelling means something here (the
        web-login question refuses the login); None for the router's plain cancel. The
        router clears the dialog afterwards either way."""
        return None

    async def absorb(self, ctx: StepContext, conv: ConvState, *,
                     only_empty: bool = False) -> Step | None:
        """Values for this dialog said instead of the answer asked for (read from
        `ctx.understood`); `only_empty` takes only those not answered yet. None when
        nothing was taken, so the router tries other readings."""
        return None


class BrowsingDialog(Dialog):
    """A list to look through (products, policies, my demands). Nothing typed there is
    worth keeping, so the router closes it instead of putting it aside (`resumable`), and
    every start takes the conversation over afresh."""

    resumable = False

    def begin(self, conv: ConvState, state: str) -> None:
        """Make this dialog the active one at `state`, dropping what another one held."""
        conv.clear_dialog()
        conv.dialog, conv.state = self.name, state
