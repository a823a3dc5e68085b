"""/faq/unanswered: what users asked that the bot could not answer, alike questions
grouped with their count and the bot's best guess, and the three things an operator does
with a group (ops.actions.faq, as `python -m bot faq …`): add it as a phrasing of an
entry, start a new entry, or dismiss it. Edits apply in every server process within
RXF_FAQ_POLL_INTERVAL, in this one at once."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ops.actions.faq import FaqActions, FaqEditRefused, UnansweredGroup
from ops.console.auth import requires
from ops.console.views import address, error_page, form_int, redirect, render
from ops.console.views import runtime as runtime_of

DONE = {"phrasing": "已加为说法，用户再问就能得到这条答案。",
        "new": "已新建条目，用户再问就能得到这条答案。",
        "dismissed": "已忽略，这组问题不再列出。"}


def _actions(request: web.Request) -> FaqActions:
    return FaqActions.for_runtime(runtime_of(request))


async def _page(request: web.Request, *, error: str = "", group_id: int | None = None,
                typed: dict[str, str] | None = None, status: int = 200) -> web.Response:
    actions = _actions(request)
    groups = await actions.unanswered()
    return render(request, "faq_unanswered.html", {
        "groups": groups, "entries": await actions.entries(),
        "edits": await actions.history(limit=10),
        "done": DONE.get(request.query.get("done", ""), ""),
        "error": error, "error_group": group_id, "typed": typed or {}}, status=status)


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """The open groups, most asked first, and the latest edits."""
    return await _page(request)


async def _group(request: web.Request) -> UnansweredGroup | None:
    group_id = form_int(request.match_info["group"])
    if group_id is None:
        return None
    groups = await _actions(request).unanswered(limit=1000)
    return next((g for g in groups if group_id in g.question_ids), None)


async def _act(request: web.Request, done: str, act: Any) -> web.StreamResponse:
    group = await _group(request)
    if group is None:
        return error_page(request, 404, "这组问题已经处理过了，或者不存在。")
    form = await request.post()
    typed = {key: str(value) for key, value in form.items() if key != "csrf_token"}
    try:
        await act(group, typed, request["operator"].name, address(request))
    except FaqEditRefused as exc:
        # Nothing was stored: the page again, with the reason and what was typed.
        return await _page(request, error=str(exc), group_id=group.id, typed=typed,
                           status=422)
    return redirect(f"/faq/unanswered?done={done}")


@requires("operator")
async def add_phrasing(request: web.Request) -> web.StreamResponse:
    """Add the group's question (as edited) as a phrasing of the chosen entry."""
    async def act(group: UnansweredGroup, typed: dict[str, str], who: str,
                  where: str) -> None:
        await _actions(request).add_phrasing(
            typed.get("entry_id", ""), typed.get("text", ""), who,
            covers=group.question_ids, address=where)

    return await _act(request, "phrasing", act)


@requires("operator")
async def new_entry(request: web.Request) -> web.StreamResponse:
    """Start a new entry from the group: question, answer, more phrasings (one a line)."""
    async def act(group: UnansweredGroup, typed: dict[str, str], who: str,
                  where: str) -> None:
        phrasings = typed.get("phrasings", "").splitlines()
        await _actions(request).new_entry(
            typed.get("question", ""), typed.get("answer", ""), phrasings, who,
            covers=group.question_ids, address=where)

    return await _act(request, "new", act)


@requires("operator")
async def dismiss(request: web.Request) -> web.StreamResponse:
    """Not an FAQ matter: stop listing the group."""
    async def act(group: UnansweredGroup, typed: dict[str, str], who: str,
                  where: str) -> None:
        await _actions(request).dismiss(group.id, who, address=where)

    return await _act(request, "dismissed", act)


def add_routes(app: web.Application) -> None:
    """/faq/unanswered and its three actions on a group."""
    app.router.add_get("/faq/unanswered", listing)
    app.router.add_post("/faq/unanswered/{group}/phrasing", add_phrasing)
    app.router.add_post("/faq/unanswered/{group}/new", new_entry)
    app.router.add_post("/faq/unanswered/{group}/dismiss", dismiss)
