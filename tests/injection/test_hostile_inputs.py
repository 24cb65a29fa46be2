"""Hostile input at the core: whatever a learner (or a script) sends, the Tutor answers or says the question is bad.

At least 1,000 generated inputs — NUL and control characters, lone surrogates, bidi overrides, zero-width and
combining marks, emoji sequences, mixed scripts, NFD/NFKD forms, template and markup syntax, and strings far
over the length limit — go through `Tutor.validate` and `Tutor.answer`, with and without a model. Each must give an
Answer or raise InvalidQuestionError; any other exception is a bug.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import InvalidQuestionError
from tutor.llm.scripted import ScriptedChatModel
from tutor.types import Answer, Group, Level
from tutor.wiring import build_tutor

GOOD = "Không đọc mã OTP cho ai, kể cả người xưng là công an [1]. Công an không bao giờ hỏi mã OTP qua điện thoại."
SPECIALS = [
    "\x00", "\x01", "\x1b[31m", "\x7f", "\x85", "\ud800", "\udfff", "\udc80\ud83d", "\u202e", "\u202d", "\u200f",
    "\u200e", "\u2066", "\u2069", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u0301",
    "\u0323\u0323\u0323", "\u0300" * 50, "\u2028", "\u2029", "\u3000", "\r\n", "\t", "🙏", "👨‍👩‍👧‍👦", "🇻🇳", "🏳️‍🌈",
    "Пожалуйста", "请", "مرحبا", "עברית", "हिन्दी", "İ", "ß", "ﬁ", "𝕆𝕋ℙ", "０９１２３４５６７８", "Ⅻ", "\U0010ffff",
    "mã OTP", "Làm sao bật Wi-Fi?", "kích hoạt định danh mức 2", "0912345678", "001203012345", "a@b.vn",
    "<script>alert(1)</script>", "{{ canary }}", "{% raw %}", "' OR 1=1 --", "%s%n", "../../etc/passwd", "[1]",
    "BDHVS-", "http://x.xyz", "\\", "\"", "  ", "\n\n\n",
]  # fmt: skip
PIECE = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(max_size=30),
    st.characters(codec=None, categories=["Cs", "Cf", "Mn", "Cc", "Zl", "Zp", "So"]),
)
FORM = st.sampled_from([None, "NFC", "NFD", "NFKC", "NFKD"])


@st.composite
def hostile(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(PIECE, max_size=12)))
    if draw(st.integers(0, 9)) == 0:  # one in ten: far over the 2,000-character limit, or just at it
        text = (text or "a") * draw(st.sampled_from([2, 50, 400, 5000]))
    form = draw(FORM)
    return unicodedata.normalize(form, text) if form else text


@pytest.fixture
def tutors(built_settings: Settings) -> tuple[Tutor, Tutor]:
    extractive = build_tutor(built_settings, embedder=HashingEmbedder())
    with_model = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}),
        embedder=HashingEmbedder(),
        chat_model=ScriptedChatModel(GOOD),
    )
    return extractive, with_model


@pytest.mark.slow
def test_a_thousand_hostile_inputs_answer_or_are_refused_cleanly(tutors: tuple[Tutor, Tutor]):
    extractive, with_model = tutors
    seen = {"inputs": 0, "answered": 0, "refused": 0}

    @hsettings(
        max_examples=1000,
        deadline=None,
        derandomize=True,  # the same inputs on every run and in CI
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(question=hostile(), use_model=st.booleans(), level=st.sampled_from(list(Level)))
    def check(question: str, use_model: bool, level: Level) -> None:
        seen["inputs"] += 1
        tutor = with_model if use_model else extractive
        try:
            cleaned = tutor.validate(question)
        except InvalidQuestionError as exc:
            assert str(exc)  # a message the learner can read
            with pytest.raises(InvalidQuestionError):
                tutor.answer(question, level)
            seen["refused"] += 1
            return
        assert isinstance(cleaned, str) and cleaned and len(cleaned) <= 2000 * 2
        assert "\x00" not in cleaned and not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)
        answer = tutor.answer(question, level, Group.NGUOI_DAN)
        assert isinstance(answer, Answer) and answer.text
        answer.text.encode("utf-8")  # what the API sends must be encodable: no lone surrogate survives
        seen["answered"] += 1

    check()
    print(f"\nhostile inputs: {seen}")
    assert seen["inputs"] >= 1000 and seen["answered"] > 100 and seen["refused"] > 10
