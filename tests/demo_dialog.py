"""A small form used only by the engine's tests (real dialogs test themselves)."""

from __future__ import annotations

import asyncio
from typing import Any

from dialogs import validators
from dialogs.base import StepContext
from dialogs.form import FormDialog
from dialogs.form_spec import Choice, Done, Field, FormSpec, Reopen
from dialogs.registry import Intent, Registry

CALLS: dict[str, int] = {}


async def slow_parse(text: str, ctx: StepContext, values: dict[str, Any]) -> str:
    CALLS["note"] = CALLS.get("note", 0) + 1
    if text.startswith("慢"):
        await asyncio.sleep(float(text[1:] or 1))
    return text


async def confirm(ctx: StepContext, values: dict[str, Any]) -> Done | Reopen:
    if values.get("name") == "王拒绝":
        return Reopen("名字被拒绝了，请修改。", field="name")
    return Done(f"提交成功：{values['name']}")


DEMO = FormSpec(
    name="demo",
    title="演示表单",
    intro="开始演示表单。",
    fields=(
        Field("name", "姓名", "请输入姓名：",
              parse=lambda text, ctx, values: validators.person_name(text)),
        Field("phone", "手机号", "请输入手机号：",
              parse=lambda text, ctx, values: validators.mobile(text), aliases=("手机",)),
        Field("color", "颜色", "请选择颜色：",
              choices=(Choice("红色", "red"), Choice("蓝色", "blue"))),
        Field("shade", "深浅", "红色要深还是浅？", choices=(Choice("深"), Choice("浅")),
              when=lambda v: v.get("color") == "red"),
        Field("note", "备注", "请输入备注：", parse=slow_parse, hint="正在核验，请稍候…"),
    ),
    on_confirm=confirm,
)

DEMO_DIALOG = FormDialog(DEMO)


# Loadable as an extra dialog module too: RXF_EXTRA_DIALOGS=tests.demo_dialog
DIALOGS = [DEMO_DIALOG]
INTENTS = [Intent("DEMO", ("演示",), dialog="demo")]


def demo_registry() -> Registry:
    return Registry.default(["tests.demo_dialog"])
