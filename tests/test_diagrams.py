"""docs/dialogs.md is drawn from the code; it must not drift from it."""

from devtools.diagrams import DOC, render
from dialogs.registry import Registry


def test_dialog_diagrams_are_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(Registry.default()), \
        "run `python -m bot diagrams` and commit docs/dialogs.md"


def test_every_form_and_the_lifecycle_are_drawn() -> None:
    text = render(Registry.default())
    for title in ("融资需求生命周期", "注册企业账号", "个人认证", "发布融资需求"):
        assert f"## {title}" in text
    assert "待授信 --> 待放款: 授信·机构·推送credit" in text
