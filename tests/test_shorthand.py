"""Chat shorthand is written out before a question is searched; "mk" only where it is a password."""

from __future__ import annotations

import pytest

from tutor.shorthand import write_out


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("cho hỏi cách ck qua stk", "cho hỏi cách chuyển khoản qua số tài khoản"),
        ("Lỡ mất đt, khóa tk ngân hàng sao?", "Lỡ mất điện thoại, khóa tài khoản ngân hàng sao?"),
        ("đổi mk fb ở đâu", "đổi mật khẩu Facebook ở đâu"),
        ("tui xài 1 mk cho hết", "tui xài 1 mật khẩu cho hết"),
        ("chụp cccd gửi nv ngân hàng được ko", "chụp thẻ căn cước gửi nhân viên ngân hàng được ko"),
    ],
)
def test_shorthand_for_content_words_is_written_out_as_the_lessons_write_it(typed: str, searched: str):
    assert write_out(typed) == searched


@pytest.mark.parametrize(
    "typed",
    [
        "cho mk hỏi cái này với",  # "mk" is "mình" here
        "mk muốn tải app trên App Store",  # and here; "app" is the lessons' own word too
        "ko dc thì sao",  # function words are left as typed
    ],
)
def test_everything_else_is_left_as_typed(typed: str):
    assert write_out(typed) == typed


def test_a_question_typed_without_marks_gets_the_words_without_marks():
    # The restorer then still reads the whole question as unmarked and restores all of it.
    assert write_out("quen mk zalo lay lai sao") == "quen mat khau zalo lay lai sao"
