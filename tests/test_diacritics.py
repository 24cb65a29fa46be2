from tutor.diacritics import DiacriticRestorer, strip_marks

CORPUS = [
    "Kích hoạt tài khoản định danh điện tử mức 2 tại Công an.",
    "Không đọc mã OTP cho ai. Mã OTP giống chìa khóa két sắt.",
    "Má của bạn có thể gọi video qua Zalo.",
]


def test_strip_marks_keeps_case_and_turns_d_stroke_into_d():
    assert strip_marks("Định danh ĐIỆN TỬ mức 2") == "Dinh danh DIEN TU muc 2"


def test_restores_marks_from_the_corpus_and_keeps_the_learners_case():
    r = DiacriticRestorer(CORPUS)
    assert r.restore("Kich hoat tai khoan dinh danh muc 2") == "Kích hoạt tài khoản định danh mức 2"
    assert r.restore("KICH HOAT vneid") == "KÍCH HOẠT vneid"


def test_context_decides_between_forms_of_the_same_syllable():
    r = DiacriticRestorer(CORPUS)
    assert r.restore("doc ma otp") == "đọc mã otp"
    assert r.restore("ma cua ban") == "má của bạn"


def test_text_that_already_has_marks_or_unknown_words_is_left_alone():
    r = DiacriticRestorer(CORPUS)
    assert r.restore("kích hoat") == "kích hoat"
    assert r.restore("xyz abc") == "xyz abc"
    assert r.restore("") == ""
