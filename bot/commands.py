"""Global commands, understood at any step of any dialog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

CANCEL = ("取消", "退出", "不办了", "算了", "不填了", "结束", "quit", "exit", "cancel")
BACK = ("返回", "上一步", "后退", "返回上一步", "back")
HELP = ("帮助", "help", "?", "？", "怎么填", "不会填")
MENU = ("菜单", "主菜单", "功能", "功能菜单", "menu", "返回菜单", "回到菜单", "回主菜单", "首页",
        "主页", "返回主菜单")
HUMAN = ("转人工", "人工", "人工客服", "找客服", "客服", "真人", "转人工客服", "找人工")
END_HUMAN = ("结束人工", "退出人工", "结束人工服务", "不要人工", "取消人工", "结束转人工")
RESUME = ("继续填写", "继续", "接着填")
RESTART = ("重新开始", "从头开始", "重新填写", "重来")
GREETING = ("你好", "您好", "在吗", "在么", "hi", "hello", "哈喽", "嗨", "早上好", "下午好",
            "晚上好")
THANKS = ("谢谢", "多谢", "感谢", "好的谢谢", "谢谢你", "ok谢谢", "thanks")

_EDIT = re.compile(r"^(?:重填|修改|更改|改一下|改)\s*[：:]?\s*(.+)$")


CommandName = Literal["cancel", "back", "help", "menu", "human", "end_human", "resume",
                      "restart", "edit", "greeting", "thanks"]


@dataclass(frozen=True)
class Command:
    """A global command recognised in a message; `arg` is what follows 修改 (the field)."""

    name: CommandName
    arg: str = ""

    def __post_init__(self) -> None:
        if self.name not in get_args(CommandName):
            raise ValueError(f"unknown command {self.name!r}")


_TABLE: dict[str, CommandName] = {
    **{w: "cancel" for w in CANCEL}, **{w: "back" for w in BACK},
    **{w: "help" for w in HELP}, **{w: "menu" for w in MENU},
    **{w: "human" for w in HUMAN}, **{w: "end_human" for w in END_HUMAN},
    **{w: "resume" for w in RESUME}, **{w: "restart" for w in RESTART},
    **{w: "greeting" for w in GREETING}, **{w: "thanks" for w in THANKS},
}


def parse(text: str) -> Command | None:
    """The global command `text` is, or None (exact words, case and a trailing 。!~
    ignored; 修改/重填 <字段> carries the field)."""
    word = text.strip().rstrip("。.!！~").lower()
    name = _TABLE.get(word)
    if name:
        return Command(name)
    edit = _EDIT.match(word)
    if edit:
        return Command("edit", edit.group(1).strip())
    return None
