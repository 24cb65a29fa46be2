"""What a learner may be called: a pseudonym or display name that carries no personal data."""

from __future__ import annotations

import re

from tutor.learner.errors import InvalidLearnerDataError


def check_pseudonym(value: str, what: str = "Bí danh") -> str:
    """A pseudonym (or display name) may not carry personal data: no phone or ID numbers, no e-mail."""
    value = " ".join(value.split())
    if not 2 <= len(value) <= 40:
        raise InvalidLearnerDataError(f"{what} phải dài từ 2 đến 40 ký tự.")
    if re.search(r"\d{6,}", re.sub(r"[\s.\-]", "", value)) or "@" in value:
        raise InvalidLearnerDataError(
            f"{what} không được chứa số điện thoại, số căn cước hay email; hãy chọn một tên gọi khác."
        )
    return value


def check_display_name(value: str | None) -> str | None:
    """A display name as stored: None when empty, else checked like a pseudonym (2–40 characters, no numbers)."""
    if value is None or not value.strip():
        return None
    return check_pseudonym(value, "Tên gọi")
