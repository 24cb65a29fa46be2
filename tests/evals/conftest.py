"""Fixtures for the eval harness: a small gold set over the fixture corpus and a Tutor on the hashing embedder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.gold import everyday_item, gold_item
from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.wiring import build_tutor

GOLD = [
    gold_item("T-001"),
    everyday_item(
        "T-002",
        question="lam sao bat wifi tren dien thoai",
        type="howto",
        gold={"lesson": "bat-wifi", "section": "co-ban"},
        reference_answer="Mở Cài đặt, chạm Wi-Fi, gạt nút bật, chọn tên mạng và nhập mật khẩu.",
        key_points=[
            {"point": "mở cài đặt", "accept": ["cài đặt"]},
            {"point": "nhập mật khẩu", "accept": ["mật khẩu"]},
        ],
    ),
    everyday_item(
        "T-003",
        question="Kích hoạt tài khoản định danh điện tử mức 2 ở đâu?",
        type="fact",
        level="trung-cap",
        group="cong-chuc",
        gold={"lesson": "vneid-muc-2", "section": "cac-buoc"},
        reference_answer="Đến công an xã, phường mang căn cước để đăng ký mức 2.",
        key_points=[{"point": "đến công an", "accept": ["công an"]}],
    ),
    everyday_item(
        "T-004",
        question="cách nấu phở bò cho ngon",
        type="out_of_scope",
        answerable=False,
        gold=None,
        reference_answer="Xin lỗi, mình chỉ hỗ trợ các kỹ năng số.",
        key_points=[],
    ),
    gold_item(
        "T-005",
        question="thế nó bảo là công an thật thì sao?",
        type="followup",
        history=[
            {"role": "user", "content": "có người gọi đòi mã OTP"},
            {"role": "assistant", "content": "Không đọc mã OTP cho ai."},
        ],
    ),
    gold_item(
        "T-006",
        question="Wi-Fi quán cà phê có an toàn để chuyển khoản không?",
        level="nang-cao",
        group="lao-dong",
        gold={"lesson": "bat-wifi", "section": "luu-y-an-toan"},
        reference_answer="Không nên, hãy dùng dữ liệu di động.",
        key_points=[{"point": "dùng dữ liệu di động", "accept": ["dữ liệu di động"]}],
        must_not=["cứ chuyển khoản bình thường"],
    ),
]


def write_gold(path: Path, items: list[dict[str, Any]] = GOLD) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    return write_gold(tmp_path / "gold.jsonl")


@pytest.fixture
def extractive_tutor(built_settings: Settings, hash_embedder: HashingEmbedder) -> Tutor:
    return build_tutor(built_settings, embedder=hash_embedder)
