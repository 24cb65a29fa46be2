"""The command line's framework words in Vietnamese: "Usage", "Options", "Missing argument"… from Typer and Click.

Our own help and messages are written in Vietnamese; the words the framework adds around them are English, and
Typer's vendored copy of Click writes them without gettext. So `install()` wraps the few places they come from —
the usage line, the help option's text, the error messages of the usage-error classes, and Typer's panel titles —
and passes their English through `translate()`, a short table of patterns. What the table lacks stays as it was.
`TUTOR_LANG=en` (for developers) leaves the framework's English alone.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any

#: English pattern → Vietnamese, tried in order on each framework message.
PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^Missing argument\b", "Thiếu tham số"),
    (r"^Missing option\b", "Thiếu tùy chọn"),
    (r"^Missing parameter\b", "Thiếu tham số"),
    (r"^Missing command\.", "Thiếu lệnh."),
    (r"^Invalid value for (.+?): ", r"Giá trị không hợp lệ cho \1: "),
    (r"^Invalid value: ", "Giá trị không hợp lệ: "),
    (r"Value error, ", ""),
    (r"(\S+) is not one of (.+?)\.$", r"\1 không nằm trong các giá trị được nhận: \2."),
    (r"(\S+) is not a valid (integer|float|boolean)\.", r"\1 không phải giá trị hợp lệ."),
    (r"(\S+) is not in the range (.+?)\.", r"\1 nằm ngoài khoảng \2."),
    (r"^No such option: ", "Không có tùy chọn: "),
    (r"\(Possible options: ", "(Có thể là: "),
    (r"^No such command ", "Không có lệnh "),
    (r"Did you mean (one of: )?", "Có phải ý bạn là "),
    (r"^Got unexpected extra arguments? ", "Thừa tham số "),
    (r"^Option (.+?) requires an argument\.", r"Tùy chọn \1 cần một giá trị."),
    (r"^Option (.+?) requires (\d+) arguments\.", r"Tùy chọn \1 cần \2 giá trị."),
    (r"^Option (.+?) does not take a value\.", r"Tùy chọn \1 không nhận giá trị."),
    (r"^Could not open file (.+?): ", r"Không mở được tệp \1: "),
    (r"^Show this message and exit\.$", "Hiện hướng dẫn này rồi thoát."),
    (r"^Show the version and exit\.$", "Hiện phiên bản rồi thoát."),
    (r"^Try '(.+?)' for help\.", r"Gõ '\1' để xem hướng dẫn."),
    (r"^Aborted[.!]$", "Đã dừng."),
)
_COMPILED = tuple((re.compile(p), r) for p, r in PATTERNS)

#: Typer's rich help and error panels: constants computed when typer.rich_utils is imported.
RICH_WORDS = {
    "ARGUMENTS_PANEL_TITLE": "Tham số",
    "OPTIONS_PANEL_TITLE": "Tùy chọn",
    "COMMANDS_PANEL_TITLE": "Lệnh",
    "ERRORS_PANEL_TITLE": "Lỗi",
    "ABORTED_TEXT": "Đã dừng.",
    "RICH_HELP": "Gõ [blue]'{command_path} {help_option}'[/] để xem hướng dẫn.",
    "DEFAULT_STRING": "[mặc định: {}]",
    "ENVVAR_STRING": "[biến môi trường: {}]",
    "REQUIRED_LONG_STRING": "[bắt buộc]",
    "DEPRECATED_STRING": "(sắp bỏ) ",
}
USAGE = "Cách dùng: "
#: The packages that may hold the usage-error classes: Typer's vendored Click, and Click itself.
_PACKAGES = ("typer._click", "click")
_ERRORS = (
    "ClickException", "UsageError", "BadParameter", "MissingParameter", "NoSuchOption", "BadOptionUsage",
    "BadArgumentUsage", "FileError",
)  # fmt: skip


def translate(text: str) -> str:
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def _translated(method: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return translate(method(*args, **kwargs))

    wrapper.__tutor_vi__ = True  # type: ignore[attr-defined]
    return wrapper


def _patch_package(package: str) -> None:
    try:
        exceptions = importlib.import_module(f"{package}.exceptions")
        formatting = importlib.import_module(f"{package}.formatting")
        core = importlib.import_module(f"{package}.core")
    except ImportError:
        return
    for name in _ERRORS:
        cls = getattr(exceptions, name, None)
        method = cls.__dict__.get("format_message") if cls is not None else None
        if method is not None and not getattr(method, "__tutor_vi__", False):
            setattr(cls, "format_message", _translated(method))  # noqa: B010 - replacing the method is the point
    formatter = getattr(formatting, "HelpFormatter", None)
    write_usage = getattr(formatter, "write_usage", None)
    if write_usage is not None and not getattr(write_usage, "__tutor_vi__", False):

        def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
            write_usage(self, prog, args, USAGE if prefix is None else prefix)

        usage.__tutor_vi__ = True  # type: ignore[attr-defined]
        formatter.write_usage = usage  # type: ignore[union-attr]
    command = getattr(core, "Command", None)
    get_help_option = getattr(command, "get_help_option", None)
    if get_help_option is not None and not getattr(get_help_option, "__tutor_vi__", False):

        def help_option(self: Any, ctx: Any) -> Any:
            option = get_help_option(self, ctx)
            if option is not None and isinstance(getattr(option, "help", None), str):
                option.help = translate(option.help)
            return option

        help_option.__tutor_vi__ = True  # type: ignore[attr-defined]
        command.get_help_option = help_option  # type: ignore[union-attr]


def install(lang: str = "vi") -> bool:
    """Put the framework's words into Vietnamese unless `lang` is English; returns whether it did."""
    if lang.strip().lower().startswith("en"):
        return False
    for package in _PACKAGES:
        _patch_package(package)
    try:  # the base of Typer's own usage errors: a message it builds itself ("No such command…")
        base = importlib.import_module("typer.exceptions").TyperException
        if not getattr(base.format_message, "__tutor_vi__", False):
            base.format_message = _translated(base.format_message)
    except (ImportError, AttributeError):
        pass
    try:
        rich_utils = importlib.import_module("typer.rich_utils")
    except ImportError:
        return True
    for name, words in RICH_WORDS.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, words)
    # The usage line is highlighted by a pattern that looks for the English word.
    highlighter = getattr(rich_utils, "highlighter", None)
    highlights = getattr(highlighter, "highlights", None)
    if isinstance(highlights, list):
        highlighter.highlights = [h.replace("Usage: ", USAGE) for h in highlights]  # type: ignore[union-attr]
    return True
