"""What the LLM reads: question-relevant sentences of the best passages, in lesson order, within a budget."""

from tutor.answering.context import fit_passages
from tutor.types import Chunk, Hit


def _hit(n: int, text: str) -> Hit:
    return Hit(Chunk(f"l{n}#co-ban/0", f"l{n}", "co-ban", f"Bài {n}", "Cơ bản", text), 1.0 / n)


VNEID = _hit(
    1,
    "Mở ứng dụng trên điện thoại. Chờ một chút cho ứng dụng chạy. Chọn mục Kích hoạt tài khoản VNeID. "
    "Nhập số định danh và mã kích hoạt.",
)
WIFI = _hit(2, "Vuốt màn hình từ trên xuống. Bấm vào biểu tượng Wi-Fi để bật.")


def test_a_passage_that_fits_is_shown_whole_and_unchanged():
    fitted = fit_passages("kích hoạt VNeID", [VNEID], 10_000)
    assert fitted == [VNEID]


def test_sentences_that_share_words_with_the_question_are_chosen_first():
    fitted = fit_passages("làm sao kích hoạt tài khoản VNeID", [VNEID], 60)
    assert "Kích hoạt tài khoản VNeID" in fitted[0].chunk.text
    assert "Chờ một chút" not in fitted[0].chunk.text
    assert len(fitted[0].chunk.text) <= 60


def test_unaccented_questions_choose_the_same_sentences():
    accented = fit_passages("kích hoạt tài khoản VNeID", [VNEID], 60)
    bare = fit_passages("kich hoat tai khoan vneid", [VNEID], 60)
    assert accented == bare


def test_chosen_sentences_keep_the_lesson_order():
    fitted = fit_passages("mở ứng dụng, nhập mã kích hoạt", [VNEID], 90)
    text = fitted[0].chunk.text
    assert "Mở ứng dụng" in text and "Nhập số định danh" in text
    assert text.index("Mở ứng dụng") < text.index("Nhập số định danh")


def test_at_least_one_sentence_is_shown_even_when_it_exceeds_the_budget():
    fitted = fit_passages("bật wifi", [WIFI], 5)
    assert len(fitted) == 1 and fitted[0].chunk.text.count("\n") == 0


def test_a_passage_with_no_chosen_sentence_is_dropped_so_citations_stay_numbered():
    fitted = fit_passages("kích hoạt tài khoản VNeID", [VNEID, WIFI], 60)
    assert [h.chunk.id for h in fitted] == [VNEID.chunk.id]


def test_the_budget_is_spent_across_passages():
    fitted = fit_passages("kích hoạt VNeID rồi bật Wi-Fi", [VNEID, WIFI], 200)
    assert [h.chunk.lesson_id for h in fitted] == ["l1", "l2"]
    assert sum(len(h.chunk.text) for h in fitted) <= 200
