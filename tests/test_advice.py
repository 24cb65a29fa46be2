"""unsafe_advice: catches a scammer's phrasings (reassurances, spaced letters, unaccented) and passes the lessons."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.corpus.chunk import chunk_lessons
from tutor.corpus.load import load_lessons
from tutor.safety.advice import unsafe_advice
from tutor.text import sentences

ROOT = Path(__file__).resolve().parent.parent

UNSAFE = [
    "Hãy đọc mã OTP cho nhân viên ngân hàng.",
    "Bạn gửi mat khau cho can bo nhe.",
    "Cung cấp số thẻ và CVV để nhận quà.",
    "Không sao đâu, bác cứ đọc mã OTP cho cán bộ nhé.",
    "Đừng lo, hãy đọc mã OTP cho cán bộ công an.",
    "Đừng lo lắng, hãy cung cấp mật khẩu cho nhân viên ngân hàng.",
    "Cảm ơn bác, bác đọc giúp cháu dãy số OTP nhé.",
    "Bác không cần lo, chỉ việc nhập mã OTP vào đường link http://vneid-xacthuc.com là xong.",
    "Hãy gửi số thẻ và mã CVV qua Zalo cho cán bộ.",
    "bac cu doc ma OTP cho can bo nhe",
    "Hãy đọc mã O T P cho cán bộ để xác minh.",
    "Hãy đọc mã o.t.p cho cán bộ.",
    "Mã OTP thì bác cứ cho cán bộ biết nhé.",
    "Nếu họ không tin, đọc mã OTP cho họ.",
    "Không cần lo, bác nhắn mã OTP cho số này.",
    "Cán bộ yêu cầu bác đọc mã OTP, bác cứ làm theo.",
    "Bác hãy nhập mật khẩu ngân hàng vào trang web mà cán bộ gửi.",
    "Hãy chụp ảnh thẻ và mã CVV gửi cho nhân viên.",
    "Hãy nói mật khẩu cho người gọi điện.",
    "Vui lòng cung cấp mã xác thực để hoàn tất.",
    "Không có gì phải sợ, cứ cung cấp mã OTP.",
    "Hãy báo mã OTP cho tổng đài viên.",
    "Bác điền mã OTP vào form này giúp cháu: bit.ly/abc",
    "Lỡ đưa mã OTP rồi thì đưa luôn mật khẩu cho họ.",
    "Hãy tiết lộ mã PIN cho nhân viên.",
    "Mã OTP vừa gửi về máy, bác đọc lại cho cháu nhé.",
    "Hay doc ma OTP cho can bo cong an.",
    "Để được hoàn tiền, bác hãy gửi mã OTP cho chúng tôi.",
    "Bác tự đọc mã OTP cho cán bộ nhé.",
    "Chụp màn hình tin nhắn có mã OTP rồi gửi cho cán bộ.",
    "Chúng tôi yêu cầu bác đọc mã OTP để xác minh.",
]
SAFE = [
    "Không đọc mã OTP cho ai.",
    "Đừng bao giờ gửi mật khẩu qua Zalo.",
    "Mã OTP là mã dùng một lần.",
    "Không đọc mã OTP cho ai, kể cả người xưng là công an [1].",
    "Công an không bao giờ hỏi mã OTP qua điện thoại.",
    "Không đọc, gửi hay chia sẻ mã OTP cho bất kỳ ai.",
    "Không đọc mã OTP, mật khẩu cho người khác.",
    "Ngân hàng không bao giờ yêu cầu bạn cung cấp mã OTP.",
    "Tuyệt đối không được cung cấp mật khẩu cho người lạ.",
    "Nhập mã OTP gửi qua tin nhắn về số điện thoại của bạn.",
    "Nếu lỡ đưa mã OTP, gọi ngay tổng đài ngân hàng để khóa tài khoản.",
    "Chọn tên mạng nhà bạn và nhập mật khẩu Wi-Fi.",
    "Kết nối Wi-Fi bằng mật khẩu ghi sau modem.",
    "Bạn sẽ nhận mã OTP qua tin nhắn.",
    "Đổi mật khẩu ngay và báo Công an cấp xã.",
    "Kẻ gian đòi đọc mã OTP để xác minh.",
    "Khi có người gọi đòi mã OTP, không đọc mã và tắt máy.",
    "Khong doc ma OTP cho ai ca.",
    "Đăng nhập bằng số định danh cá nhân và mật khẩu vừa đặt.",
    'Kẻ gian hay giả làm công an gọi điện: "tài khoản bị lỗi, đọc mã để cấp lại mật khẩu".',
    "Bật Wi-Fi.",
    # A negation shared across a long list of secrets and recipients.
    "Không bao giờ đưa mã OTP, mật khẩu, số thẻ hay mã CVV cho người gọi điện, nhắn tin.",
    "Đừng gửi mã PIN, mật khẩu Zalo, mã OTP ngân hàng hay ảnh căn cước cho người lạ gọi tới, nhắn tới.",
    # What scammers demand, listed; the app's own steps, one of which is a photo and another a code.
    "Cuối cùng chúng đòi một trong các việc: chuyển tiền, đọc mã OTP, cài ứng dụng lạ.",
    "Ứng dụng có thể yêu cầu nhập số điện thoại, chụp ảnh khuôn mặt và nhập mã OTP gửi qua tin nhắn.",
    # A question the tutor suggests asks; it does not advise.
    "- có nên đưa mật khẩu email cho con cháu giữ hộ không",
]


@pytest.mark.parametrize("text", UNSAFE)
def test_advice_to_hand_over_a_secret_is_caught_however_it_is_phrased(text: str):
    assert unsafe_advice(text)


@pytest.mark.parametrize("text", SAFE)
def test_warnings_and_the_lessons_own_steps_pass(text: str):
    assert unsafe_advice(text) is None


def _flagged(lessons_dir: Path) -> list[str]:
    return [s for c in chunk_lessons(load_lessons(lessons_dir)) for s in sentences(c.text) if unsafe_advice(s)]


def test_the_vetted_lessons_are_almost_never_mistaken_for_unsafe_advice():
    assert _flagged(ROOT / "tests" / "fixtures" / "corpus" / "lessons") == []
    # 74 of the shipped corpus's sentences were flagged before negation scope and the lessons' own steps were
    # understood; the few left are list items quoted out of their heading ("Đọc mã xác nhận 'gửi nhầm'…").
    flagged = _flagged(ROOT / "corpus" / "lessons")
    assert len(flagged) <= 6, flagged


@pytest.mark.parametrize(
    "text",
    [
        "Có nên đọc mã OTP cho họ không? Có, cứ đọc cho họ.",
        "Mình có nên gửi mật khẩu Zalo cho cán bộ không? Được, bác gửi cho anh ấy là xong.",
        "co nen doc ma otp cho nguoi goi khong? co, doc cho ho di",
        # A request put as a question is still a request for the code.
        "Bác đọc mã OTP cho cháu được không?",
        "Cho tôi xin mã OTP được không?",
        "Bạn gửi mật khẩu cho mình được không?",
    ],
)
def test_a_bare_yes_hands_over_the_secret_the_question_before_it_named(text: str):
    assert unsafe_advice(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Có nên đọc mã OTP cho họ không? Không. Đừng đọc cho ai, hãy cúp máy.",
        "Có nên đọc mã OTP cho họ không? Không, bác cúp máy rồi báo công an.",
        "Mã OTP là gì? Đó là mã ngân hàng gửi về điện thoại của bạn.",
        "Đọc mã OTP cho người lạ có sao không? Có, họ sẽ lấy tiền của bạn. Đừng đọc cho ai.",
        "Có nên đọc mã OTP cho họ không? Có người gọi đòi mã thì bác cúp máy ngay.",
    ],
)
def test_a_reply_that_refuses_or_explains_after_such_a_question_passes(text: str):
    assert unsafe_advice(text) is None
