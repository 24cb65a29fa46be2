import pytest

from tutor.safety.privacy import findings, redact


@pytest.mark.parametrize(
    ("text", "secret", "rule"),
    [
        ("CCCD của tôi là 001203012345 nhé", "001203012345", "cccd"),
        ("căn cước 001 203 012 345", "001 203 012 345", "cccd"),
        ("gọi cho tôi 0912 345 678", "0912 345 678", "phone"),
        ("sdt +84912345678", "+84912345678", "phone"),
        ("số CMND 123456789 cũ rồi", "123456789", "cmnd"),
        ("so chung minh nhan dan la 123456789", "123456789", "cmnd"),
        ("email nguyen.van.a@gmail.com", "nguyen.van.a@gmail.com", "email"),
        ("stk: 0123 4567 8901 ở ngân hàng", "0123 4567 8901", "bank_account"),
        ("Số tài khoản của tôi là 190312345678", "190312345678", "bank_account"),
        ("mã OTP là 123456 nè", "123456", "otp"),
        ("ma kich hoat 8899", "8899", "otp"),
    ],
)
def test_personal_data_is_replaced_by_a_placeholder(text: str, secret: str, rule: str):
    out = redact(text)
    assert secret not in out and "[đã ẩn" in out
    assert rule in findings(text)


@pytest.mark.parametrize(
    "text",
    ["Gọi 113 hoặc nhắn 5656.", "Tổng đài 1900 1234", "Năm 2024 có 12 tháng", "Mức 2 cần 6 bước", "Lãi 123456 đồng"],
)
def test_ordinary_numbers_are_left_alone(text: str):
    assert redact(text) == text
