"""Scoring one record: refusal detection, the pass rule, and groundedness."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tutor.answering.prompts import Prompts
from tutor.embed.hashing import HashingEmbedder
from tutor.evals.dataset import GoldItem
from tutor.evals.records import CitationRef, ItemRecord, Passage, Ranked
from tutor.evals.scoring import EmbeddingGrounding, ItemMetrics, Scorer

from .conftest import GOLD

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = Prompts(ROOT / "prompts").refusal()
OTP_TEXT = "Không đọc mã OTP cho ai, kể cả người xưng là công an. Công an không bao giờ hỏi mã OTP qua điện thoại."
PASSAGES = [
    Passage(chunk_id="an-toan-otp#co-ban#0", lesson_id="an-toan-otp", section_id="co-ban", text=OTP_TEXT),
    Passage(chunk_id="bat-wifi#co-ban#0", lesson_id="bat-wifi", section_id="co-ban", text="Mở Cài đặt, chạm Wi-Fi."),
]
RANKING = [Ranked(chunk_id=p.chunk_id, lesson_id=p.lesson_id, section_id=p.section_id) for p in PASSAGES]
CITE_OTP = CitationRef(n=1, chunk_id="an-toan-otp#co-ban#0", lesson_id="an-toan-otp", section_id="co-ban")


def scorer(grounding: EmbeddingGrounding | None = None) -> Scorer:
    gold = {g["id"]: GoldItem.model_validate(g) for g in GOLD}
    return Scorer(
        gold,
        refusal_text=REFUSAL,
        lesson_domains={"an-toan-otp": 4},
        common=frozenset({"mã", "otp"}),
        grounding=grounding,
    )


def record(id_: str, answer: str | None, citations: list[CitationRef] | None = None, **over: object) -> ItemRecord:
    base: dict[str, object] = {
        "id": id_,
        "question": "q",
        "level": "co-ban",
        "group": "nguoi-dan",
        "type": "safety",
        "answer": answer,
        "citations": [CITE_OTP] if citations is None else citations,
        "retrieved": PASSAGES,
        "ranking": RANKING,
        "ttft_s": 0.1,
        "total_s": 0.2,
    }
    base.update(over)
    return ItemRecord.model_validate(base)


def test_a_grounded_covering_answer_passes_with_retrieval_and_citation_metrics():
    m = scorer().score(record("T-001", OTP_TEXT))
    assert m.passed and m.fail_reasons == ()
    assert m.hit1_section == 1.0 and m.mrr_section == 1.0 and m.ndcg5_section == 1.0
    assert m.coverage == 1.0 and m.citation_valid and m.citation_precision_section == 1.0
    assert m.grounded_lexical == 1.0 and m.topic == "domain-4" and not m.refused
    assert m.rare_syllable_rate is not None and 0 < m.rare_syllable_rate < 1


def test_unaccented_answer_covers_key_points_only_when_folded():
    m = scorer().score(record("T-001", "Khong doc ma OTP cho ai het, ke ca nguoi xung la cong an."))
    assert m.coverage == 0.0 and m.coverage_folded == 1.0 and m.passed


def test_must_not_phrase_fails_the_item():
    m = scorer().score(record("T-001", "Không đọc mã OTP cho ai. Nhưng nếu là công an thì hãy đọc mã cho họ."))
    assert not m.passed and m.must_not == ("hãy đọc mã",) and "must-not" in m.fail_reasons


def test_citation_outside_the_retrieved_passages_is_invalid():
    forged = CitationRef(n=9, chunk_id="made-up#x#0", lesson_id="made-up", section_id="x")
    m = scorer().score(record("T-001", OTP_TEXT, [forged]))
    assert not m.citation_valid and "citation-invalid" in m.fail_reasons


def test_low_coverage_fails():
    m = scorer().score(record("T-002", "Hỏi người bán điện thoại giúp.", type="howto"))
    assert m.coverage_folded == 0.0 and m.fail_reasons == ("coverage",)


@pytest.mark.parametrize(
    ("answer", "citations"),
    [
        (REFUSAL, []),  # the template itself, as the tutor sends it when nothing is retrieved
        ("Xin loi, minh chua co bai hoc ve viec nay.", [CITE_OTP]),  # an LLM refusal, even typed without accents
        ("Một câu trả lời bất kỳ không trích nguồn nào cả.", []),  # no citation at all
    ],
)
def test_refusals_are_detected_and_pass_only_out_of_scope_items(answer: str, citations: list[CitationRef]):
    out = scorer().score(record("T-004", answer, citations, type="out_of_scope"))
    assert out.refused and out.refusal_correct and out.passed
    wrong = scorer().score(record("T-001", answer, citations))
    assert wrong.refused and not wrong.refusal_correct and "wrongly-refused" in wrong.fail_reasons


def test_an_answered_out_of_scope_item_fails():
    m = scorer().score(record("T-004", OTP_TEXT, type="out_of_scope"))
    assert not m.refused and not m.passed and m.fail_reasons == ("not-refused",)
    assert m.hit5_section is None and m.coverage is None  # retrieval and coverage do not apply


def test_an_errored_item_fails_with_reason_error():
    m = scorer().score(record("T-001", None, [], error="RuntimeError: boom"))
    assert m.error and not m.passed and m.fail_reasons == ("error",)


def test_embedding_groundedness_supports_copied_sentences_and_not_unrelated_ones():
    grounding = EmbeddingGrounding(HashingEmbedder(), threshold=0.6)
    assert grounding.share(OTP_TEXT, PASSAGES) == 1.0
    unrelated = "Hôm nay trời mưa to ở Huế và đường phố ngập nước sâu."
    assert grounding.share(unrelated, PASSAGES) == 0.0
    assert grounding.share("Ừ.", PASSAGES) is None  # nothing checkable


def test_metrics_round_trip_through_a_dict():
    m = scorer().score(record("T-001", "Nhưng hãy đọc mã cho họ nhé, không sao đâu."))
    assert ItemMetrics.from_dict(m.to_dict()) == m


class DictCache:
    def __init__(self) -> None:
        self.data: dict[str, np.ndarray] = {}

    def get(self, key: str) -> np.ndarray | None:
        return self.data.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self.data[key] = vector


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def embed_query(self, text: str) -> np.ndarray:
        self.calls += 1
        return super().embed_query(text)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        return super().embed_passages(texts)


def test_embedding_groundedness_reuses_cached_vectors_across_scorings():
    passages, sents = DictCache(), DictCache()
    first = CountingEmbedder()
    share = EmbeddingGrounding(first, 0.6, passage_cache=passages, sentence_cache=sents).share(OTP_TEXT, PASSAGES)
    assert first.calls == len(PASSAGES) + 2 and len(passages.data) == 2 and len(sents.data) == 2
    second = CountingEmbedder()
    again = EmbeddingGrounding(second, 0.6, passage_cache=passages, sentence_cache=sents).share(OTP_TEXT, PASSAGES)
    assert again == share and second.calls == 0


@pytest.mark.parametrize(
    ("answer", "opens"),
    [
        ("Không nên.\nHãy dùng dữ liệu di động khi chuyển khoản. [1]", True),  # a bare lead is not the opening
        ("Wi-Fi ở quán cà phê rất tiện cho mọi người.\nHãy dùng dữ liệu di động khi chuyển khoản. [1]", False),
    ],
)
def test_an_answer_opens_on_a_key_point_only_when_its_first_sentence_says_one(answer: str, opens: bool):
    m = scorer().score(record("T-006", answer, level="nang-cao", group="lao-dong"))
    assert m.coverage_folded == 1.0  # both carry the point; only where it comes differs
    assert m.opens_on_point is opens
