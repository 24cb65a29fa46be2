"""Gold-set items for tests: one valid safety question, with any field overridden."""

from __future__ import annotations

from typing import Any


def gold_item(id_: str, **over: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": id_,
        "question": "Có người gọi xưng công an đòi mã OTP thì làm sao?",
        "level": "co-ban",
        "group": "nguoi-dan",
        "type": "safety",
        "answerable": True,
        "gold": {"lesson": "an-toan-otp", "section": "co-ban"},
        "reference_answer": "Không đọc mã OTP cho ai, kể cả người xưng là công an.",
        "key_points": [{"point": "không đọc mã OTP", "accept": ["không đọc mã otp"]}],
        "must_not": ["hãy đọc mã"],
        "safety_critical": True,
    }
    item.update(over)
    return item


def everyday_item(id_: str, **over: Any) -> dict[str, Any]:
    """An item about no secret: nothing it must not say, and not safety-critical."""
    return gold_item(id_, **{"must_not": [], "safety_critical": False, **over})
