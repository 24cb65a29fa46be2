import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tutor.text import fold, has_diacritics, normalize, sentences, slugify, syllables

ROOT = Path(__file__).resolve().parent.parent


def test_normalize_turns_nfd_into_nfc_and_drops_invisible_characters():
    nfd = unicodedata.normalize("NFD", "Kích hoạt\u200b  VNeID\u202e mức 2\x00")
    out = normalize(nfd)
    assert out == "Kích hoạt VNeID mức 2"
    assert unicodedata.is_normalized("NFC", out)


def test_normalize_removes_lone_surrogates_and_keeps_line_breaks():
    assert normalize("a\ud800b\n\n\n\nc") == "ab\n\nc"


def test_fold_strips_every_vietnamese_mark_including_d_stroke():
    assert fold("Định danh điện tử MỨC 2") == "dinh danh dien tu muc 2"
    assert fold("hòa") == fold("hoà") == "hoa"


def test_has_diacritics_tells_typed_without_accents_apart():
    assert not has_diacritics("kich hoat vneid muc 2")
    assert has_diacritics("kích hoạt")
    assert has_diacritics("đi")


def test_syllables_are_lowercase_whitespace_tokens():
    assert syllables("Mở ứng dụng VNeID, chọn mục!") == ["mở", "ứng", "dụng", "vneid", "chọn", "mục"]


def test_slugify_gives_the_section_ids_used_in_citations():
    assert slugify("Lưu ý an toàn") == "luu-y-an-toan"
    assert slugify("Các bước") == "cac-buoc"
    assert slugify("Cơ bản") == "co-ban"


def test_sentences_split_at_capitals_but_keep_list_numbers_and_abbreviations():
    text = "Mở ứng dụng VNeID. Chọn mục Kích hoạt!\n1. Nhập số căn cước.\n- Ảnh, video v.v. là dữ liệu. mức 2. sau"
    assert sentences(text) == [
        "Mở ứng dụng VNeID.",
        "Chọn mục Kích hoạt!",
        "1. Nhập số căn cước.",
        "- Ảnh, video v.v. là dữ liệu. mức 2. sau",
    ]


def test_hyphenated_words_match_their_joined_spelling():
    assert syllables("Bật Wi-Fi, gửi e-mail") == syllables("bật wifi, gửi email")


def test_old_and_new_tone_placement_match_after_unify():
    from tutor.text import for_matching, unify_tones

    assert unify_tones("hòa bình, Thủy, khỏe, Ủy ban") == "hoà bình, Thuỷ, khoẻ, Uỷ ban"
    # closed syllables and "qu" are already unambiguous and stay as they are
    assert unify_tones("hoàng, thuyền, quý, toán") == "hoàng, thuyền, quý, toán"
    assert for_matching(unicodedata.normalize("NFD", "tòa án")) == "toà án"


def _fold_by_nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("đ", "d")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_fold_by_table_gives_what_nfd_gives_for_any_text(text: str):
    assert fold(text) == _fold_by_nfd(text)


def test_fold_by_table_gives_what_nfd_gives_for_every_lesson_nfc_and_nfd():
    for path in sorted((ROOT / "corpus" / "lessons").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert fold(text) == _fold_by_nfd(text)
        assert fold(unicodedata.normalize("NFD", text)) == _fold_by_nfd(text)
