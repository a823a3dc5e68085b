"""The FAQ is reloaded in place; a broken file never replaces working knowledge."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

import knowledge
from tests.support import Harness
from wiring.runtime import LOAD

MakeHarness = Callable[..., Awaitable[Harness]]


async def _reload(h: Harness) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s, s.post(f"{h.base}/admin/faq/reload") as r:
        return r.status, await r.text()


async def test_reload_swaps_answers_and_refuses_broken_files(make_harness: MakeHarness,
                                                             tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(Path(knowledge.__file__).parent, folder,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    h = await make_harness(knowledge_dir=str(folder), faq=LOAD)
    before = await h.say("平台电话是多少")
    assert "0871-64980508" in before
    faq = folder / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("0871-64980508", "0871-00000000"),
                   encoding="utf-8")
    status, text = await _reload(h)
    assert status == 200 and text.startswith("reloaded")
    assert "0871-00000000" in await h.say("平台的联系电话是多少")
    faq.write_text("- id: [broken", encoding="utf-8")
    status, text = await _reload(h)
    assert status == 400 and "refused" in text
    assert "0871-00000000" in await h.say("客服电话多少啊")
