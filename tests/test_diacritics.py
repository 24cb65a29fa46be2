from tutor.diacritics import WELL_TYPED, DiacriticRestorer, marked_share, strip_marks

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


SPORT = ["Đối thủ của đội đã thừa nhận thất bại.", "Đối thủ mạnh.", "Đội bóng đã thua trận chung kết."]


def test_a_question_typed_with_marks_is_left_as_typed_even_where_the_corpus_prefers_another_form():
    r = DiacriticRestorer(SPORT)
    # Before: stripped and restored, "Đội thủ … thua" became "Đối thủ … thừa" from the corpus's counts.
    assert r.restore(strip_marks("Đội thủ Panthers đã thua")) != "Đội thủ Panthers đã thua"
    assert r.restore_missing("Đội thủ Panthers đã thua") == "Đội thủ Panthers đã thua"


def test_a_question_typed_without_marks_gets_them_all_back():
    r = DiacriticRestorer(CORPUS)
    assert r.restore_missing("kich hoat tai khoan dinh danh muc 2") == "kích hoạt tài khoản định danh mức 2"


def test_a_few_marks_typed_are_kept_and_only_the_words_typed_without_are_restored():
    r = DiacriticRestorer(CORPUS)
    # One word in six marked (below WELL_TYPED): the learner's "đoc" stays, the words typed without marks get them.
    assert marked_share("khong đoc ma otp cho ai") < WELL_TYPED
    assert r.restore_missing("khong đoc ma otp cho ai") == "không đoc mã otp cho ai"
    assert r.restore_missing("") == ""


def test_unmarked_words_of_a_well_typed_question_are_not_given_marks():
    r = DiacriticRestorer(["Ảnh chụp màn hình lưu trong máy.", "Túi xách để ở chỗ cũ."])
    question = "Anh ơi, tui lưu ảnh chụp màn hình ở đâu?"
    assert marked_share(question) >= WELL_TYPED
    assert r.restore_missing(question) == question


#: A software manual: "thị" is frequent, but only ever after "hiển"; "thì" is rarer but follows many words.
MANUAL = [
    "Bảng hiển thị dữ liệu. Cửa sổ hiển thị kết quả. Thanh công cụ hiển thị biểu tượng. Ô hiển thị ngày.",
    "Hộp thoại hiển thị tùy chọn. Trang hiển thị tiêu đề.",
    "Nếu chưa lưu thì bấm Lưu. Xong thì đóng cửa sổ. Sai thì làm lại.",
]


def test_after_an_unseen_word_a_form_that_follows_many_words_beats_one_that_is_only_frequent():
    r = DiacriticRestorer(MANUAL)
    # "dau thi" was never seen: "thị" occurs 7 times (all after "hiển"), "thì" 3 times after 3 different words.
    assert r.restore("muon tim tu dau thi chon").split()[-2] == "thì"
    assert r.restore("bang hien thi du lieu") == "bảng hiển thị dữ liệu"  # the seen pair still decides


def test_a_saved_and_mapped_restorer_restores_like_the_built_one(tmp_path):
    from tutor.diacritics import MappedCounts

    built = DiacriticRestorer(MANUAL + CORPUS)
    built.save(tmp_path)
    mapped = DiacriticRestorer.load(tmp_path)
    assert isinstance(mapped._counts, MappedCounts)
    for question in ("muon tim tu dau thi chon", "doc ma otp", "ma cua ban", "bang hien thi du lieu"):
        assert mapped.restore(question) == built.restore(question)
