"""Judge-free metrics on hand-computed examples, in Vietnamese syllables and pyvi words."""

from __future__ import annotations

import math

import pytest

from tutor.evals.metrics import (
    citation_score,
    common_syllables,
    contains_phrase,
    coverage,
    hit_at_k,
    lcs_length,
    must_not_hits,
    ndcg_at_k,
    overlap,
    readability,
    reciprocal_rank,
    relevance,
    rouge_l,
    syllable_tokens,
    token_f1,
    word_tokens,
)

GOLD = ("otp", "co-ban")
# Rank 1: other lesson; rank 2: gold lesson, other section; rank 3: the gold section.
RANKING = [("wifi", "co-ban"), ("otp", "nang-cao"), ("otp", "co-ban"), ("wifi", "trung-cap")]


def test_section_relevance_needs_lesson_and_section_while_lesson_relevance_needs_only_the_lesson():
    assert relevance(RANKING, GOLD, "section") == [False, False, True, False]
    assert relevance(RANKING, GOLD, "lesson") == [False, True, True, False]


def test_hit_at_k_counts_a_match_only_within_the_first_k():
    flags = relevance(RANKING, GOLD, "section")
    assert [hit_at_k(flags, k) for k in (1, 2, 3, 5)] == [0.0, 0.0, 1.0, 1.0]


def test_mrr_is_one_over_the_rank_of_the_first_match():
    assert reciprocal_rank(relevance(RANKING, GOLD, "section")) == pytest.approx(1 / 3)
    assert reciprocal_rank(relevance(RANKING, GOLD, "lesson")) == pytest.approx(1 / 2)
    assert reciprocal_rank([False, False]) == 0.0


def test_ndcg_discounts_the_first_match_by_log2_of_its_rank_plus_one():
    flags = relevance(RANKING, GOLD, "section")
    assert ndcg_at_k(flags, 5) == pytest.approx(1 / math.log2(4))  # rank 3 -> 0.5
    assert ndcg_at_k([True, True], 5) == 1.0  # one gold target: a second match adds nothing
    assert ndcg_at_k(flags, 2) == 0.0  # the match is beyond the cut-off


def test_token_f1_uses_multiset_overlap():
    # overlap {a, b} = 2; precision 2/3, recall 2/4 -> F1 = 4/7
    assert token_f1(["a", "b", "c"], ["a", "b", "d", "e"]) == pytest.approx(4 / 7)
    assert token_f1(["a", "a"], ["a"]) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1([], ["a"]) == 0.0


def test_lcs_and_rouge_l_on_a_hand_worked_pair():
    pred = ["tắt", "máy", "rồi", "gọi", "lại", "số", "chính", "thức"]
    ref = ["hãy", "tắt", "máy", "và", "gọi", "số", "chính", "thức"]
    # LCS: tắt máy gọi số chính thức = 6; P = 6/8, R = 6/8
    assert lcs_length(pred, ref) == 6
    assert rouge_l(pred, ref) == pytest.approx(0.75)
    assert rouge_l([], ref) == 0.0


def test_overlap_tokenises_vietnamese_itself_in_syllables_and_words():
    ov = overlap("Không đọc mã OTP cho ai.", "không đọc mã otp cho ai")
    assert ov.f1_syllable == 1.0 and ov.rouge_l_syllable == 1.0
    assert ov.f1_word == 1.0
    assert overlap("Tắt máy ngay", "Gọi ngân hàng").f1_syllable == 0.0


def test_words_are_pyvi_segments_and_syllables_are_nfc_lowercase():
    assert "kể_cả" in word_tokens("Không đọc mã OTP cho ai, kể cả người xưng là công an")
    # NFD input ("ọ" decomposed) gives the same syllables as NFC input.
    assert syllable_tokens("Đo\u0323c MÃ") == ["đọc", "mã"]


def test_coverage_counts_accented_wording_and_folded_matching_rescues_unaccented_answers():
    points = [("mở cài đặt", ["mở cài đặt", "cài đặt"]), ("nhập mật khẩu", ["nhập mật khẩu"])]
    accented = "Mở Cài đặt, chạm Wi-Fi rồi nhập mật khẩu."
    assert coverage(accented, points).score == 1.0
    unaccented = "mo cai dat, cham wifi roi nhap mat khau"
    assert coverage(unaccented, points).score == 0.0
    folded = coverage(unaccented, points, folded=True)
    assert folded.score == 1.0 and folded.missed == ()
    half = coverage("Mở cài đặt là xong.", points, folded=True)
    assert half.score == 0.5 and half.missed == ("nhập mật khẩu",)


def test_phrase_matching_respects_syllable_boundaries():
    assert not contains_phrase("an toàn tuyệt đối", "toa", folded=True)
    assert not contains_phrase("toàn bộ", "an", folded=True)
    assert contains_phrase("Bật Wi-Fi lên", "wifi")


def test_coverage_without_key_points_is_complete():
    assert coverage("bất kỳ", []).score == 1.0


def test_must_not_is_a_substring_match_on_nfc_lowercase():
    answer = "Nếu họ hỏi, HÃY ĐỌC MÃ cho họ."
    assert must_not_hits(answer, ["hãy đọc mã", "cứ chuyển khoản"]) == ["hãy đọc mã"]
    nfd = "ha\u0303y đo\u0323c ma\u0303 ngay"
    assert must_not_hits(nfd, ["hãy đọc mã"]) == ["hãy đọc mã"]
    assert must_not_hits("Không đọc mã cho ai.", ["hãy đọc mã"]) == []


def test_citation_precision_recall_and_validity():
    cited = [("c1", ("otp", "co-ban")), ("c2", ("otp", "nang-cao")), ("c3", ("wifi", "co-ban"))]
    score = citation_score(cited, {"c1", "c2", "c3", "c4"}, ("otp", "co-ban"))
    assert score.valid
    assert score.precision_section == pytest.approx(1 / 3)
    assert score.precision_lesson == pytest.approx(2 / 3)
    assert score.recall_section == 1.0 and score.recall_lesson == 1.0
    miss = citation_score([("c3", ("wifi", "co-ban"))], {"c3"}, ("otp", "co-ban"))
    assert miss.recall_section == 0.0 and miss.precision_lesson == 0.0
    assert not citation_score([("zz", ("otp", "co-ban"))], {"c1"}, ("otp", "co-ban")).valid


def test_readability_measures_sentence_length_word_length_and_rare_syllables():
    common = common_syllables(["tắt máy ngay. tắt máy ngay. gọi lại"], top_n=3)
    assert common == frozenset({"tắt", "máy", "ngay"})
    feats = readability("Tắt máy ngay. Gọi lại.", common)
    assert feats is not None
    assert feats.rare_syllable_rate == pytest.approx(2 / 5)  # "gọi", "lại" are outside the top 3
    assert feats.words_per_sentence == pytest.approx(len(word_tokens("Tắt máy ngay. Gọi lại.")) / 2)
    assert readability("", common) is None


def test_foreign_word_rate_counts_english_jargon_but_not_everyday_vietnamese():
    from tutor.evals.metrics import foreign_word_rate

    jargon = foreign_word_rate("Bạn mở app, bấm vào link rồi nhập OTP.")
    plain = foreign_word_rate("Mật khẩu giống như chìa khóa nhà: đừng đưa cho người lạ.")
    assert jargon is not None and plain is not None
    assert jargon > 0.2 and plain == 0.0


def test_foreign_word_rate_ignores_numbers_and_tone_placement():
    from tutor.evals.metrics import foreign_word_rate

    assert foreign_word_rate("Gọi 113 ngay.") == 0.0
    assert foreign_word_rate("hòa bình") == foreign_word_rate("hoà bình") == 0.0
    assert foreign_word_rate("...") is None
