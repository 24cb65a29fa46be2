"""Pydantic's validation errors in Vietnamese words a learner, a volunteer developer or an operator can act on."""

from __future__ import annotations

from typing import Any

_KINDS = {
    "string": "chuỗi chữ",
    "int": "số nguyên",
    "float": "số",
    "bool": "true hoặc false",
    "dict": "đối tượng JSON {…}",
    "model": "đối tượng JSON {…}",
    "model_attributes": "đối tượng JSON {…}",
    "list": "danh sách […]",
    "datetime": "ngày giờ",
    "uuid": "mã UUID",
}

_BOUNDS = {
    "greater_than_equal": "phải từ {ge} trở lên",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "string_too_long": "dài quá {max_length} ký tự",
    "string_too_short": "cần ít nhất {min_length} ký tự",
    "too_long": "có quá {max_length} phần tử",
    "too_short": "cần ít nhất {min_length} phần tử",
}


def describe(error: dict[str, Any], where: str) -> str:
    """One pydantic error about the field called `where`, never in pydantic's English."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "json_invalid":
        return "nội dung gửi lên không phải JSON hợp lệ (kiểm tra dấu ngoặc, dấu phẩy, dấu nháy)"
    if kind == "missing":
        return f"thiếu trường '{where}'"
    if kind in ("enum", "literal_error"):
        # pydantic lists the choices as "'a', 'b' or 'c'": only its last word is English.
        choices = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return f"'{where}' không nhận giá trị {error.get('input')!r}; chọn một trong: {choices}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        expected = _KINDS.get(kind.rsplit("_", 1)[0])
        return f"'{where}' sai kiểu dữ liệu" + (f" (cần {expected})" if expected else "")
    if kind in _BOUNDS:
        try:
            return f"'{where}' " + _BOUNDS[kind].format(**ctx)
        except (KeyError, IndexError):
            return f"'{where}' nằm ngoài giới hạn cho phép"
    if kind == "extra_forbidden":
        return f"'{where}' không phải trường được nhận"
    if kind == "recursion_loop":
        return f"'{where}' lồng nhau quá sâu"
    return f"'{where}' không hợp lệ"
