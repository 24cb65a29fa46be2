from pathlib import Path

import jinja2
import pytest

from tutor.answering.prompts import Prompts
from tutor.types import Chunk, Group, Hit, Level, Message

ROOT = Path(__file__).resolve().parent.parent


def _hit(n: int) -> Hit:
    return Hit(Chunk(f"l{n}#co-ban/0", f"l{n}", "co-ban", f"Bài {n}", "Cơ bản", f"Nội dung đoạn {n}."), 1.0 / n)


@pytest.mark.parametrize("level", list(Level))
def test_every_level_renders_a_prompt_with_numbered_passages_and_the_level(level: Level):
    prompts = Prompts(ROOT / "prompts")
    msgs = prompts.answer_messages("Làm sao bật Wi-Fi?", level, Group.NGUOI_DAN, [_hit(1), _hit(2)])
    assert [m.role for m in msgs] == ["system", "user"]
    assert "OTP" in msgs[0].content
    assert "người dân" in msgs[0].content and level.label in msgs[0].content
    assert level.label in msgs[1].content  # a short reminder next to the question
    assert "Đoạn [1] (Bài 1 – Cơ bản)" in msgs[1].content and "Đoạn [2]" in msgs[1].content
    assert "Nội dung đoạn 2." in msgs[1].content
    assert "Làm sao bật Wi-Fi?" in msgs[1].content


def test_co_ban_and_nang_cao_prompts_ask_for_different_styles():
    prompts = Prompts(ROOT / "prompts")
    basic = prompts.answer_messages("q", Level.CO_BAN, Group.NGUOI_DAN, [_hit(1)])
    advanced = prompts.answer_messages("q", Level.NANG_CAO, Group.CONG_CHUC, [_hit(1)])
    assert "câu thật ngắn" in basic[0].content and "thuật ngữ chính xác" in advanced[0].content
    assert "thuật ngữ chính xác" not in basic[0].content and "câu thật ngắn" not in advanced[0].content


def test_the_system_prompt_is_the_same_for_every_question_of_one_learner():
    # llama.cpp reuses the cached prefix only if the system prompt does not change between questions
    prompts = Prompts(ROOT / "prompts")
    first = prompts.answer_messages("Làm sao bật Wi-Fi?", Level.CO_BAN, Group.NGUOI_DAN, [_hit(1)])
    second = prompts.answer_messages("OTP là gì?", Level.CO_BAN, Group.NGUOI_DAN, [_hit(2)])
    assert first[0] == second[0] and first[1] != second[1]
    assert "Wi-Fi" not in first[0].content and "Nội dung đoạn" not in first[0].content


def test_history_goes_between_system_and_question():
    prompts = Prompts(ROOT / "prompts")
    history = [Message("user", "trước"), Message("assistant", "đáp")]
    msgs = prompts.answer_messages("q", Level.CO_BAN, Group.NGUOI_DAN, [_hit(1)], history)
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user"]


def test_a_missing_variable_fails_instead_of_rendering_blank(tmp_path: Path):
    (tmp_path / "system.j2").write_text("Xin chào {{ ten }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        Prompts(tmp_path).render("system.j2")


def test_extractive_answer_quotes_the_passages_with_their_numbers():
    text = Prompts(ROOT / "prompts").extractive([_hit(1), _hit(2)], notice="Lưu ý")
    assert text.startswith("Lưu ý")
    assert "[1]" in text and "[2]" in text and "Nội dung đoạn 1." in text
