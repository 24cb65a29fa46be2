"""The scope gate: questions outside digital skills get the refusal; digital questions are never refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tutor.answering.scope import ScopeGate, digital_words, inside_examples, read_outside_examples
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.index.embed_cache import EmbeddingCache, embed_with_cache
from tutor.llm.scripted import ScriptedChatModel
from tutor.types import Answer, Token
from tutor.wiring import build_scope_gate, build_tutor, scope_gate_applies

INSIDE = [
    "làm sao bật wifi trên điện thoại",
    "mã OTP là gì, có được đưa cho người khác không",
    "cách kích hoạt tài khoản định danh mức 2",
    "chuyển khoản nhầm người thì làm gì",
]
OUTSIDE = [
    "cách nấu phở bò cho ngon nước trong",
    "nấu canh chua cá lóc thế nào",
    "mơ thấy rắn đánh con gì",
    "hôm nay đánh con số gì dễ trúng",
    "giá vàng hôm nay bao nhiêu một chỉ",
]


def _gate(margin: float = 0.0) -> ScopeGate:
    emb = HashingEmbedder()
    inside = np.stack([emb.embed_query(t) for t in INSIDE])
    outside = np.stack([emb.embed_query(t) for t in OUTSIDE])
    return ScopeGate(emb.embed_query, inside, outside, margin=margin)


def test_a_question_near_the_outside_examples_is_refused_and_one_near_the_lessons_is_kept():
    gate = _gate()
    cooking = gate.check("chỉ tôi cách nấu phở bò ngon")
    assert not cooking.in_scope and cooking.lean_outside > 0 and cooking.reason == ""
    wifi = gate.check("bật wifi điện thoại ở đâu")  # "điện thoại" alone keeps it in, so check the lean too
    assert wifi.in_scope and wifi.lean_outside < 0


def test_a_higher_margin_refuses_less():
    question = "nấu phở bò"
    lean = _gate().check(question).lean_outside
    assert not _gate(margin=lean - 1e-6).check(question).in_scope
    assert _gate(margin=lean + 1e-6).check(question).in_scope


def test_a_digital_word_keeps_a_question_in_scope_whatever_the_embedding_says():
    # Worded like the lottery examples, but about a scam SMS: refusing a scam victim is the worse mistake.
    verdict = _gate().check("tin nhắn báo trúng số đề, bấm link nhận thưởng được không")
    assert verdict.in_scope and verdict.reason.startswith("digital word")


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("có người gọi xưng công an đòi mã OTP", ["otp"]),
        ("Kích hoạt VNeID mức 2", ["vneid"]),
        ("chuyen khoan nham thi sao", ["chuyen khoan"]),
        ("Hỏi AI liều thuốc có tin được không", ["AI"]),
        ("ai vô địch ngoại hạng anh năm ngoái", []),  # "ai" is "who", not AI
        ("cách nấu phở bò", []),
        ("đám mây là gì", ["dam may"]),
    ],
)
def test_digital_words_are_found_with_or_without_diacritics(question: str, words: list[str]):
    assert digital_words(question) == words


def test_the_gate_needs_examples_on_both_sides():
    emb = HashingEmbedder()
    one = np.stack([emb.embed_query("nấu phở")])
    with pytest.raises(ValueError, match="at least 3"):
        ScopeGate(emb.embed_query, one, one, margin=0.0)


def test_outside_examples_skip_comments_and_blank_lines(tmp_path: Path):
    (tmp_path / "scope").mkdir()
    (tmp_path / "scope" / "out_of_scope.txt").write_text("# ghi chú\n\ncách nấu phở\n  giá vàng hôm nay  \n", "utf-8")
    assert read_outside_examples(tmp_path) == ["cách nấu phở", "giá vàng hôm nay"]
    assert read_outside_examples(tmp_path / "khong-co") == []
    assert inside_examples(["Bật Wi-Fi", "Mã OTP"], ["Mã OTP", "OTP là gì?"]) == ["Bật Wi-Fi", "Mã OTP", "OTP là gì?"]


def test_the_shipped_outside_examples_carry_no_digital_word():
    # An example with a digital word could never be refused, and would pull digital questions towards refusal.
    examples = read_outside_examples(Path(__file__).resolve().parent.parent / "corpus")
    assert len(examples) >= 50
    assert [e for e in examples if digital_words(e)] == []


def test_query_embeddings_are_cached_apart_from_passages(tmp_path: Path):
    emb = HashingEmbedder()
    cache = EmbeddingCache(tmp_path / "cache")
    try:
        texts = ["cách nấu phở", "giá vàng"]
        _, missed = embed_with_cache(emb, texts, cache)
        _, missed_queries = embed_with_cache(emb, texts, cache, as_queries=True)
        vectors, again = embed_with_cache(emb, texts, cache, as_queries=True)
    finally:
        cache.close()
    assert (missed, missed_queries, again) == (2, 2, 0)
    assert np.allclose(vectors[0], emb.embed_query(texts[0]))


def test_the_tutor_refuses_out_of_scope_without_retrieving_citing_or_calling_the_model(built_settings: Settings):
    model = ScriptedChatModel("Nấu phở cần xương bò [1].")
    tutor = build_tutor(built_settings, embedder=HashingEmbedder(), chat_model=model)
    assert tutor.scope is None  # not calibrated for the hashing embedder: off by default
    tutor.scope = _gate()
    events = list(tutor.stream("chỉ tôi cách nấu phở bò ngon"))
    answer = events[-1]
    assert isinstance(answer, Answer) and not [e for e in events if isinstance(e, Token)]
    assert answer.text.startswith("Xin lỗi, mình chỉ hỗ trợ các kỹ năng số")  # prompts/refusal.j2
    assert answer.citations == () and answer.hits == ()
    assert model.calls == []
    assert answer.timings["scope_lean_outside"] > 0
    kept = tutor.answer("có người xưng công an đòi mã OTP")
    assert kept.citations and len(model.calls) == 1


def test_the_gate_is_only_built_for_the_calibrated_embedder_and_when_switched_on(built_settings: Settings):
    emb = HashingEmbedder()
    assert not scope_gate_applies(built_settings, emb)
    assert build_scope_gate(built_settings, emb, build_tutor(built_settings, embedder=emb).retriever) is None  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the shared real_index fixture embeds the whole corpus first
def test_with_real_e5_off_topic_questions_get_the_refusal_and_scam_questions_an_answer(real_index: Settings):
    tutor = build_tutor(real_index)
    assert tutor.scope is not None
    for question in ("mơ thấy rắn đánh con gì", "cách nấu phở bò cho ngon", "lúa bị rầy nâu phun thuốc gì"):
        answer = tutor.answer(question)
        assert answer.citations == () and answer.text.startswith("Xin lỗi"), question
    for question in ("có người gọi xưng công an đòi mã OTP", "làm sao kích hoạt VNeID mức 2?", "bật wifi ở đâu"):
        answer = tutor.answer(question)
        assert answer.citations, question
    # No digital word in these: kept in scope by the embedding alone.
    for question in ("bị lừa mất tiền rồi giờ báo ai", "thẻ căn cước gắn chip dùng để làm gì"):
        verdict = tutor.scope.check(question)
        assert verdict.in_scope and not verdict.reason, (question, verdict)
        assert tutor.answer(question).citations, question
    off = real_index.model_copy(update={"scope_gate": False})
    assert build_tutor(off).scope is None
