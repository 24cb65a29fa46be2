"""The answer check: how much of a reply the passages support, replies that are empty, foreign or an echo of the
question, and citations that point only at retrieved passages. (Unsafe advice itself: test_advice.py.)"""

from __future__ import annotations

from tutor.answering.citations import cite
from tutor.safety.guard import check_answer, grounded_share
from tutor.types import Chunk, Hit


def _hits(*texts: str) -> list[Hit]:
    return [Hit(Chunk(f"l{i}#co-ban/0", f"l{i}", "co-ban", f"Bài {i}", "Cơ bản", t), 1.0) for i, t in enumerate(texts)]


def test_grounded_share_counts_sentences_supported_by_passages():
    hits = _hits("Mang thẻ căn cước gắn chip đến Công an cấp xã để đăng ký mức 2.")
    assert grounded_share("Bạn mang thẻ căn cước gắn chip đến Công an cấp xã.", hits) == 1.0
    mixed = "Bạn mang thẻ căn cước đến Công an cấp xã. Sau đó mua vé số trúng thưởng ngay hôm nay."
    assert grounded_share(mixed, hits) == 0.5


def test_answers_in_another_script_or_empty_fail_the_check():
    hits = _hits("Vuốt từ trên màn hình xuống, chạm biểu tượng Wi-Fi để bật, rồi chọn tên mạng nhà bạn.")
    assert not check_answer("打开设置然后连接网络", hits).ok
    assert not check_answer("  ", hits).ok
    assert check_answer("Bạn vuốt từ trên màn hình xuống rồi chạm biểu tượng Wi-Fi để bật.", hits).ok


def test_citations_point_only_to_retrieved_hits_and_ignore_invented_markers():
    hits = _hits("Mang thẻ căn cước gắn chip đến Công an cấp xã.", "Vuốt màn hình xuống và chạm biểu tượng Wi-Fi.")
    cites = cite("Vuốt màn hình xuống rồi chạm biểu tượng Wi-Fi [7].", hits)
    assert [c.n for c in cites] == [2]
    assert cites[0].chunk_id == "l1#co-ban/0"
    assert [c.n for c in cite("Xin chào.", hits)] == [1]  # nothing matches: the top passage
    assert cite("gì đó", []) == ()


def test_a_reply_that_only_repeats_the_question_fails_the_check():
    hits = _hits("Gọi ngay tổng đài ngân hàng in trên thẻ để yêu cầu tra soát giao dịch chuyển nhầm.")
    question = "chuyển khoản nhầm người thì làm sao"
    echo = "Người dân. Người học ở trình độ Cơ bản: chuyển khoản nhầm người thì làm sao?"
    assert check_answer(echo, hits, question).reason in {"ungrounded", "no-lesson-content"}
    good = "Bạn gọi ngay tổng đài ngân hàng in trên thẻ để yêu cầu tra soát giao dịch [1]."
    assert check_answer(good, hits, question).ok
