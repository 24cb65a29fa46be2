"""The echo filter: the prompt's scaffolding a small model copies is tidied, whatever the stream's piece sizes."""

from __future__ import annotations

import random

import pytest

from tutor.answering.echo import EchoFilter, rewrite_line

ECHOED = (
    "Đoạn [1] (Bật và kết nối Wi-Fi trên điện thoại – Cơ bản):\n"
    "Wi-Fi là mạng Internet không dây trong nhà.\n"
    "\n"
    "Đoạn [2] (Dùng Wi-Fi công cộng an toàn – Lưu ý an toàn):\n"
    "- Không chuyển tiền khi dùng Wi-Fi lạ.\n"
    "\n"
    "Câu hỏi: bật wifi thế nào\n"
    "\n"
    "Trả lời theo cách đã dặn cho người học trình độ Cơ bản.\n"
    "Vào Cài đặt, chọn Wi-Fi [1]."
)
TIDY = (
    'Theo bài "Bật và kết nối Wi-Fi trên điện thoại" (mục Cơ bản) [1]:\n'
    "Wi-Fi là mạng Internet không dây trong nhà.\n"
    "\n"
    'Theo bài "Dùng Wi-Fi công cộng an toàn" (mục Lưu ý an toàn) [2]:\n'
    "- Không chuyển tiền khi dùng Wi-Fi lạ.\n"
    "\n"
    "Vào Cài đặt, chọn Wi-Fi [1]."
)


def _run(pieces: list[str]) -> str:
    f = EchoFilter()
    return "".join(f.feed(p) for p in pieces) + f.flush()


def test_copied_headers_become_citation_headers_and_copied_prompt_lines_disappear():
    assert _run([ECHOED]) == TIDY


@pytest.mark.parametrize("seed", range(20))
def test_the_result_does_not_depend_on_how_the_stream_is_cut(seed: int):
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(ECHOED)), rng.randint(1, 60)))
    pieces = [ECHOED[a:b] for a, b in zip([0, *cuts], [*cuts, len(ECHOED)], strict=True)]
    assert _run(pieces) == TIDY
    assert _run(list(ECHOED)) == TIDY  # one character at a time


def test_an_ordinary_answer_passes_through_unchanged_and_without_waiting_for_its_line_end():
    f = EchoFilter()
    assert f.feed("Không đọc mã OTP") == "Không đọc mã OTP"  # not a possible echo: shown at once
    assert f.feed(" cho ai [1].\nĐoạn") == " cho ai [1].\n"  # "Đoạn" may be a copied header: held back
    assert f.feed(" văn này nói về mật khẩu.") == "Đoạn văn này nói về mật khẩu."
    assert f.flush() == ""


def test_lines_that_only_mention_the_words_are_kept():
    for line in ("Câu hỏi hay! Bạn vào Cài đặt.", "Đoạn video giả mạo rất giống thật.", "Tài liệu học tập ở đâu?"):
        assert rewrite_line(line) == line
    assert rewrite_line("Câu hỏi: mã OTP là gì") is None
    assert rewrite_line("Đoạn [3] (Mã OTP):") == 'Theo bài "Mã OTP" [3]:'
    assert rewrite_line("**Đoạn [2] (Ví điện tử – Trung cấp):**") == 'Theo bài "Ví điện tử" (mục Trung cấp) [2]:'
    assert rewrite_line("[1] (Mã OTP – Nâng cao):") == 'Theo bài "Mã OTP" (mục Nâng cao) [1]:'  # "Đoạn" left out


def test_a_line_that_starts_with_a_marker_but_is_prose_is_shown_without_waiting():
    f = EchoFilter()
    assert f.feed("[1") == ""  # could still be a copied header
    assert f.feed("] Vào Cài đặt") == "[1] Vào Cài đặt"


def test_a_copied_header_is_shown_as_it_streams_not_after_its_whole_line():
    f = EchoFilter()
    assert f.feed("Đoạn [1] (Bật và kết nối") == 'Theo bài "Bật và kết nối'
    assert f.feed(" –") == ""  # may be the separator: held
    assert f.feed(" Cơ") == '" (mục Cơ'
    assert f.feed(" bản)") == " bản"  # the parenthesis may close the header or belong to the title
    assert f.feed(":\nBật Wi-Fi") == ") [1]:\nBật Wi-Fi"


def test_a_title_with_its_own_parentheses_is_kept_whole():
    line = "Đoạn [3] (Ứng dụng đô thị thông minh (ví dụ Hue-S ở Huế): phản ánh hiện trường – Cơ bản):\n"
    expected = 'Theo bài "Ứng dụng đô thị thông minh (ví dụ Hue-S ở Huế): phản ánh hiện trường" (mục Cơ bản) [3]:\n'
    assert _run(list(line)) == _run([line]) == expected


def test_a_header_cut_off_before_its_parenthesis_closes_is_shown_alike_whether_streamed_or_whole():
    line = "Đoạn [2] (Mã OTP – Nâng cao\nKhông đưa mã cho ai."
    assert _run(list(line)) == _run([line]) == 'Theo bài "Mã OTP" (mục Nâng cao) [2]:\nKhông đưa mã cho ai.'
