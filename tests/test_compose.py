"""The composed answer: the lesson lines that answer the question, within the level's budget, cited where they are."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path

import pytest

from tutor.answering.compose import Composer, ComposeWeights, cited_hits, defines_shown, with_budget
from tutor.answering.documents import DOCUMENT_LEXICAL, DOCUMENT_SIMILARITY
from tutor.answering.handover import handover_kinds
from tutor.answering.library import AnswerLibrary
from tutor.answering.question import Kind
from tutor.answering.render import lead_for, render, unnumber_lone_steps, without_dangling_heading
from tutor.corpus.answers import AnswerSpan, load_answer_spans, plain_line, require_spans
from tutor.corpus.chunk import chunk_lessons
from tutor.errors import CorpusError
from tutor.text import sentences, syllables
from tutor.types import Chunk, Hit, Lesson, Level, Section

ROOT = Path(__file__).resolve().parent.parent

OTP = Lesson(
    id="an-toan-otp",
    title="Giữ an toàn mã OTP",
    domain=4,
    competences=("4.2",),
    groups=(),
    levels=(),
    tags=(),
    sources=(),
    valid_as_of="2026-11-29",
    sections=(
        Section(
            "co-ban",
            "Cơ bản",
            "Mã OTP là mã số gửi về điện thoại.\n- Không đọc mã OTP cho ai.\n- Ai hỏi mã là kẻ gian.",
            1,
        ),
        Section(
            "nang-cao",
            "Nâng cao",
            "**Tin nhắn giả.** Kẻ gian dùng trạm phát sóng giả để gửi tin mạo danh ngân hàng, kèm đường link lạ.",
            5,
        ),
        Section("luu-y-an-toan", "Lưu ý an toàn", "- Không bao giờ đưa mã OTP, mật khẩu cho bất kỳ ai.", 9),
    ),
    path="an-toan-otp.md",
)
SPANS = [
    AnswerSpan("an-toan-otp", "co-ban", 0, 0, ("mã OTP là gì", "ma otp la cai gi")),
    AnswerSpan("an-toan-otp", "co-ban", 1, 2, ("có nên đọc mã OTP cho người gọi không", "ai hỏi mã otp thì sao")),
    AnswerSpan("an-toan-otp", "nang-cao", 0, 0, ("tin nhắn giả ngân hàng nhìn như thật",)),
    AnswerSpan("an-toan-otp", "luu-y-an-toan", 0, 0, ("có đưa mật khẩu cho người thân được không",)),
]


@pytest.fixture
def library() -> AnswerLibrary:
    return AnswerLibrary([OTP], chunk_lessons([OTP]), SPANS)


def _hits(library: AnswerLibrary) -> list[Hit]:
    # Retrieval found the Cơ bản chunk; the other sections are siblings the composer may cite.
    first = next(c for c in chunk_lessons([OTP]) if c.section_id == "co-ban")
    return [Hit(first, 1.0)]


def _page(text: str, title: str = "Trang", doc_id: str = "doc-0123456789ab") -> Chunk:
    """A trainer's ingested page of one section, as ingest makes it."""
    return Chunk(f"{doc_id}#noi-dung/0", doc_id, "noi-dung", title, "Nội dung", text)


def test_the_best_span_answers_and_lines_keep_the_lessons_wording(library: AnswerLibrary):
    comp = Composer(library).compose("có nên đọc mã otp cho người gọi ko", Level.CO_BAN, _hits(library))
    assert comp is not None
    lines = [line for s in comp.spans for line in s.lines]
    assert "Không đọc mã OTP cho ai." in lines and "Ai hỏi mã là kẻ gian." in lines
    assert all(not line.startswith("- ") and "**" not in line for line in lines)


def test_a_question_typed_without_marks_finds_the_same_span(library: AnswerLibrary):
    composer = Composer(library)
    with_marks = composer.compose("mã OTP là gì", Level.CO_BAN, _hits(library))
    without = composer.compose("ma otp la gi", Level.CO_BAN, _hits(library))
    assert with_marks is not None and without is not None
    assert with_marks.spans[0] == without.spans[0]


def test_companions_never_exceed_the_level_budget(library: AnswerLibrary):
    weights = with_budget(ComposeWeights(companion=0.0), Level.CO_BAN, 12)
    comp = Composer(library, weights).compose("mã OTP là gì", Level.CO_BAN, _hits(library))
    assert comp is not None and len(comp.spans) == 1  # the anchor alone: nothing else fits in 12 syllables
    roomy = Composer(library, with_budget(ComposeWeights(companion=0.0), Level.CO_BAN, 200))
    assert len(roomy.compose("mã OTP là gì", Level.CO_BAN, _hits(library)).spans) > 1  # type: ignore[union-attr]


def test_an_oversized_first_span_is_cut_at_a_sentence_within_the_budget(library: AnswerLibrary):
    comp = Composer(library).compose("tin nhắn giả ngân hàng", Level.NANG_CAO, _hits(library))
    assert comp is not None
    long_span = next(s for s in comp.spans if len(sentences(s.lines[0])) > 1)  # the Nâng cao "Tin nhắn giả. …"
    comp = replace(comp, spans=(long_span,))
    cited = cited_hits(comp, _hits(library))
    first_sentence = sentences(comp.spans[0].lines[0])[0]
    budget = len(syllables(first_sentence))
    assert sum(len(syllables(line)) for line in comp.spans[0].lines) > budget  # the span does not fit whole
    text = render(comp, "tin nhắn giả ngân hàng", cited, budget)
    assert len(syllables(text.replace("[1]", ""))) <= budget and text.endswith("]")


def test_citations_are_the_sections_shown_and_siblings_count_as_retrieved(library: AnswerLibrary):
    hits = _hits(library)
    comp = Composer(library).compose("tin nhắn giả ngân hàng nhìn như thật", Level.NANG_CAO, hits)
    assert comp is not None
    cited = cited_hits(comp, hits)
    assert {h.chunk.section_id for h in cited} == {s.section_id for s in comp.spans}
    text = render(comp, "tin nhắn giả", cited, 100)
    assert all(f"[{n}]" in text for n in range(1, len(cited) + 1))


def test_a_section_without_written_spans_is_matched_line_by_line():
    doc = _page("Tiêm sởi lúc 9 tháng.\nTiêm ho gà lúc 2 tháng.", title="Lịch tiêm")
    library = AnswerLibrary([], [doc], [])
    comp = Composer(library).compose("tiêm ho gà mấy tháng", Level.CO_BAN, [Hit(doc, 1.0)])
    assert comp is not None and comp.score > 0
    assert ("Tiêm ho gà lúc 2 tháng.",) in [s.lines for s in comp.spans]


@pytest.mark.parametrize("level", [Level.CO_BAN, Level.NANG_CAO])
def test_a_trainers_page_in_harder_words_than_the_lessons_still_answers_a_beginner(level: Level):
    # A help page reads harder than any lesson line by line. Difficulty chooses among one source's lines; were it
    # compared raw across sources, a beginner asking about the page would get the OTP lesson's plainest line.
    page = _page(
        "Nếu không biết thông số của máy phục vụ ủy nhiệm, hãy liên hệ với quản trị hệ thống của cơ quan để được "
        "cung cấp.\nCấu hình máy phục vụ ủy nhiệm được khai báo thủ công trong hộp thoại Tùy chọn, mục Internet.",
        title="Máy phục vụ ủy nhiệm",
    )
    lesson_chunks = chunk_lessons([OTP])
    library = AnswerLibrary([OTP], [*lesson_chunks, page], SPANS)
    hits = [Hit(page, 1.0), Hit(next(c for c in lesson_chunks if c.section_id == "co-ban"), 0.9)]
    comp = Composer(library).compose("không biết thông số ủy nhiệm thì hỏi ai", level, hits)
    assert comp is not None and comp.spans[0].lesson_id == page.lesson_id
    assert any("quản trị hệ thống" in line for s in comp.spans for line in s.lines)


def test_ingesting_a_long_document_leaves_every_lesson_lines_difficulty_unchanged():
    # Everyday words are counted in the vetted lessons only. Counted over everything, 600 syllables repeated through
    # a help page would push the lesson's own words out of the common ones and make every lesson line read harder,
    # and lesson answers would change because a trainer ingested an unrelated page.
    syllables_ = ["".join(p) for p in itertools.product("bcdghklmnpqrstvx", "aeiouy", "aeiou", "mnt")][:600]
    page = _page(" ".join(3 * syllables_))
    lesson_chunks = chunk_lessons([OTP])
    alone = AnswerLibrary([OTP], lesson_chunks, SPANS)
    beside = AnswerLibrary([OTP], [*lesson_chunks, page], SPANS)
    lesson_spans = [i for i, s in enumerate(beside.spans) if s.lesson_id == OTP.id]
    assert [beside.spans[i].difficulty for i in lesson_spans] == [s.difficulty for s in alone.spans]


def _page_and_lesson() -> tuple[AnswerLibrary, Chunk, Chunk]:
    page = _page(
        "Khi đăng nhập hộp thư cơ quan, hệ thống gửi một mã xác nhận về số điện thoại đã đăng ký.\n"
        "Mã chỉ dùng được trong 5 phút.",
        title="Hộp thư cơ quan",
    )
    lesson_chunks = chunk_lessons([OTP])
    return AnswerLibrary([OTP], [*lesson_chunks, page], SPANS), page, lesson_chunks[0]


def test_a_trainers_document_ranked_first_answers_even_when_a_lessons_written_question_shares_more_words():
    # The lesson's written question "mã OTP là gì" shares more words with the learner's than the page's line
    # does; retrieval read the whole paragraph, put the page first and found it close in meaning, so the page answers.
    library, page, lesson = _page_and_lesson()
    question = "mã otp hộp thư là gì"
    first = Hit(page, 1.0, similarity=DOCUMENT_SIMILARITY + 0.01, lexical_score=DOCUMENT_LEXICAL / 2)
    comp = Composer(library).compose(question, Level.CO_BAN, [first, Hit(lesson, 0.95)])
    assert comp is not None and {s.lesson_id for s in comp.spans} == {page.lesson_id}
    assert any("mã xác nhận" in line for s in comp.spans for line in s.lines)


def test_a_document_ranked_first_on_a_few_shared_words_still_lets_a_lesson_answer():
    # "dùng chung 1 mk cho tất cả tk" reached a keyboard-shortcut page on "tất cả": first, but neither close in
    # meaning nor sharing rare words, so it does not keep the password lesson from answering.
    library, page, lesson = _page_and_lesson()
    question = "mã otp hộp thư là gì"
    first = Hit(page, 1.0, similarity=DOCUMENT_SIMILARITY - 0.02, lexical_score=DOCUMENT_LEXICAL / 2)
    comp = Composer(library).compose(question, Level.CO_BAN, [first, Hit(lesson, 0.95)])
    assert comp is not None and comp.spans[0].lesson_id == OTP.id


def test_a_lesson_ranked_first_still_lets_the_best_matching_source_answer():
    # The rule acts only when a document leads: among lessons, the written questions decide as tuned.
    library, page, lesson = _page_and_lesson()
    question = "mã otp hộp thư là gì"
    comp = Composer(library).compose(question, Level.CO_BAN, [Hit(lesson, 1.0), Hit(page, 0.95)])
    assert comp is not None and comp.spans[0].lesson_id == OTP.id


def _two_pages() -> tuple[AnswerLibrary, Chunk, Chunk]:
    first = _page(
        "Chọn trang tính cần di chuyển trong hộp thoại.\nTrang tính được chuyển tới trước trang đã chọn.\n"
        "Bấm Đồng ý để lưu.",
        title="Di chuyển trang tính",
        doc_id="doc-aaaaaaaaaaaa",
    )
    second = _page(
        "Bấm Đồng ý để lưu.\nTùy chọn chuyển đến vị trí cuối sẽ đặt trang tính ở sau cùng.",
        title="Vị trí trang tính",
        doc_id="doc-bbbbbbbbbbbb",
    )
    return AnswerLibrary([], [first, second], []), first, second


def _answering(chunk: Chunk, score: float) -> Hit:
    return Hit(chunk, score, similarity=DOCUMENT_SIMILARITY + 0.01, lexical_score=DOCUMENT_LEXICAL + 1)


def test_a_close_runner_up_document_adds_its_best_line_after_the_first_documents_answer():
    # Retrieval can barely tell the two pages apart (scores 1.0 and 0.95): the answer stands on the first page and
    # adds the second's best line, cited as its own source, so the page that holds the answer is shown either way.
    library, first, second = _two_pages()
    hits = [_answering(first, 1.0), _answering(second, 0.95)]
    comp = Composer(library).compose("chuyển trang tính đến vị trí cuối", Level.CO_BAN, hits)
    assert comp is not None
    assert comp.spans[0].lesson_id == first.lesson_id
    assert [s.lesson_id for s in comp.spans].count(second.lesson_id) == 1
    assert any("vị trí cuối" in line for s in comp.spans if s.lesson_id == second.lesson_id for line in s.lines)
    assert [h.chunk.lesson_id for h in cited_hits(comp, hits)] == [first.lesson_id, second.lesson_id]
    lines = [line for s in comp.spans for line in s.lines]
    assert len(lines) == len(set(lines)), "a line both pages carry is shown once"


@pytest.mark.parametrize("runner_up", [0.0, 0.04])
def test_a_runner_up_document_well_behind_the_first_adds_nothing(runner_up: float):
    library, first, second = _two_pages()
    hits = [_answering(first, 1.0), _answering(second, 0.95)]
    weights = replace(ComposeWeights(), runner_up=runner_up)
    comp = Composer(library, weights).compose("chuyển trang tính đến vị trí cuối", Level.CO_BAN, hits)
    assert comp is not None and {s.lesson_id for s in comp.spans} == {first.lesson_id}


def test_a_close_runner_up_that_does_not_answer_by_itself_adds_nothing():
    library, first, second = _two_pages()
    weak = Hit(second, 0.95, similarity=DOCUMENT_SIMILARITY - 0.05, lexical_score=DOCUMENT_LEXICAL / 2)
    comp = Composer(library).compose("chuyển trang tính đến vị trí cuối", Level.CO_BAN, [_answering(first, 1.0), weak])
    assert comp is not None and {s.lesson_id for s in comp.spans} == {first.lesson_id}


@pytest.mark.parametrize(
    ("question", "rule", "lead"),
    [
        ("có nên đọc mã otp cho nhân viên ngân hàng không", "Không bao giờ đọc mã OTP cho ai.", "Không nên."),
        ("cho mượn tài khoản ngân hàng được không", "Không cho mượn tài khoản ngân hàng.", "Không nên."),
        ("wifi quán cà phê có an toàn không", "Không chuyển tiền khi dùng Wi-Fi quán cà phê.", "Không an toàn."),
        # "Is it a problem?": a bare "Không." would say the opposite of the rule, so no lead word.
        ("chuyển khoản bằng wifi quán có sao không", "Không chuyển khoản khi dùng Wi-Fi quán.", None),
    ],
)
def test_a_yes_no_question_answered_by_a_rule_starts_with_the_plain_answer(question: str, rule: str, lead: str | None):
    assert lead_for(question, Kind.YESNO, rule) == lead


def test_no_lead_when_the_line_is_not_a_prohibition_or_the_question_not_yes_no():
    assert lead_for("có nên đăng ký vneid không", Kind.YESNO, "Tài khoản mức 1 tự đăng ký ở nhà.") is None
    assert lead_for("làm sao đăng ký vneid", Kind.HOWTO, "Không cần ra công an.") is None


@pytest.mark.parametrize(
    ("question", "line"),
    [
        # The rule is about something else: "Không nên." would forbid what was asked.
        ("canva làm thiệp mời đám cưới được ko", "Không nhập mật khẩu, mã OTP vào trang mở từ link lạ."),
        ("gia han bhyt ho gia dinh online duoc ko", "Không giữ bí mật theo lời dọa của người lạ."),
        # A fact or a condition, not a rule.
        ("đăng ký tạm trú online được không", "Không thấy tên xã trong danh sách: thử lại sau."),
        ("có cần ra công an để đăng ký tạm trú không", "Không cần ra công an nếu đã có tài khoản mức 2."),
    ],
)
def test_no_lead_when_the_rule_is_about_something_else_or_forbids_nothing(question: str, line: str):
    assert lead_for(question, Kind.YESNO, line) is None


def test_plain_lines_drop_bullets_and_emphasis_but_steps_keep_their_number():
    assert plain_line("- **Mạng ẩn** (không hiện tên): chọn `Thêm mạng`") == "Mạng ẩn (không hiện tên): chọn Thêm mạng"
    assert plain_line("3. Nhập mã OTP.") == "3. Nhập mã OTP."


def test_every_shipped_answer_span_anchors_on_exactly_one_line():
    from tutor.corpus.load import load_lessons

    lessons = load_lessons(ROOT / "corpus" / "lessons")
    spans = require_spans(ROOT / "corpus", lessons)
    assert {s.lesson_id for s in spans} == {lesson.id for lesson in lessons}
    assert all(len(s.questions) >= 2 for s in spans)


def test_a_broken_anchor_is_reported_with_its_file_and_never_guessed(tmp_path: Path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "an-toan-otp.yaml").write_text(
        "lesson: an-toan-otp\nspans:\n  - section: co-ban\n    first: Dòng không có\n    last: Dòng không có\n"
        "    questions: [a, b]\n",
        encoding="utf-8",
    )
    spans, problems = load_answer_spans(tmp_path, [OTP])
    assert spans == [] and len(problems) == 1 and "an-toan-otp.yaml" in problems[0]
    with pytest.raises(CorpusError, match="khớp 0 dòng"):
        require_spans(tmp_path, [OTP])


def test_a_yes_no_question_leans_to_the_lessons_safety_rule(library: AnswerLibrary):
    composer = Composer(library, ComposeWeights(rule=0.5))
    rule = next(i for i, s in enumerate(library.spans) if s.section_id == "luu-y-an-toan")

    def own(kind: Kind) -> float:
        return next(
            o for _v, o, i in composer.score("đọc mã OTP", None, Level.CO_BAN, _hits(library), kind) if i == rule
        )

    assert own(Kind.YESNO) == pytest.approx(own(Kind.OTHER) + 0.5)
    assert own(Kind.HOWTO) == pytest.approx(own(Kind.OTHER))


def test_a_yes_no_question_answered_by_a_rule_shows_the_rule_first_then_the_lesson_in_order(library: AnswerLibrary):
    composer = Composer(library, ComposeWeights(companion=0.0))
    question = "có đưa mật khẩu cho người thân được không"
    comp = composer.compose(question, Level.CO_BAN, _hits(library), kind=Kind.YESNO)
    assert comp is not None and len(comp.spans) > 1
    assert comp.spans[0].section_id == "luu-y-an-toan"  # the rule answers it, so it leads
    rest = list(comp.spans[1:])
    assert rest == sorted(rest, key=lambda s: s.order)
    text = render(comp, question, cited_hits(comp, _hits(library)), 200)
    assert text.startswith("Không nên.\nKhông bao giờ đưa mã OTP, mật khẩu cho bất kỳ ai.")
    # The same spans for a question that is not yes/no: the rule still leads, as the span that answers, but no
    # "Không nên." is put before it.
    other = composer.compose(question, Level.CO_BAN, _hits(library), kind=Kind.OTHER)
    assert other is not None and other.spans[0].section_id == "luu-y-an-toan"
    assert render(other, question, cited_hits(other, _hits(library)), 200).startswith("Không bao giờ đưa mã OTP")


def test_the_answer_opens_on_the_span_that_answers_not_on_the_lessons_background(library: AnswerLibrary):
    # In lesson order the definition ("Mã OTP là mã số…") would open an answer to "ai hỏi mã otp thì sao"; the
    # learner reads the answer first, and the background after it.
    composer = Composer(library, ComposeWeights(companion=0.0))
    comp = composer.compose("ai hỏi mã otp thì sao", Level.CO_BAN, _hits(library))
    assert comp is not None and len(comp.spans) > 1
    assert comp.spans[0].lines[0] == "Không đọc mã OTP cho ai."
    rest = list(comp.spans[1:])
    assert rest == sorted(rest, key=lambda s: s.order)
    assert any(s.lines[0].startswith("Mã OTP là mã số") for s in rest)


def _three_steps(lesson_id: str, steps: str, first_two: str, third: str) -> tuple[AnswerLibrary, Chunk]:
    """A lesson whose only section is three numbered steps, written as two spans (steps 1-2 and step 3) with one
    question each; its library and its one chunk."""
    lesson = replace(OTP, id=lesson_id, sections=(Section("cac-buoc", "Các bước", steps, 1),), path=f"{lesson_id}.md")
    spans = [
        AnswerSpan(lesson_id, "cac-buoc", 0, 1, (first_two,)),
        AnswerSpan(lesson_id, "cac-buoc", 2, 2, (third,)),
    ]
    chunks = chunk_lessons([lesson])
    return AnswerLibrary([lesson], chunks, spans), chunks[0]


def test_numbered_steps_are_never_shown_out_of_sequence():
    library, chunk = _three_steps(
        "khoa-man-hinh",
        "1. Mở Cài đặt.\n2. Chọn Màn hình khóa.\n3. Chọn Mã PIN.",
        "mở cài đặt màn hình khóa",
        "đặt mã pin khóa máy thế nào",
    )
    composer = Composer(library, ComposeWeights(companion=0.0))
    comp = composer.compose("đặt mã pin thế nào", Level.CO_BAN, [Hit(chunk, 1.0)])
    assert comp is not None
    lines = [line for s in comp.spans for line in s.lines]
    assert lines == ["1. Mở Cài đặt.", "2. Chọn Màn hình khóa.", "3. Chọn Mã PIN."]


def test_lines_from_two_chunks_of_one_section_share_one_citation(library: AnswerLibrary):
    comp = Composer(library).compose("có nên đọc mã otp cho người gọi ko", Level.CO_BAN, _hits(library))
    assert comp is not None
    first = comp.spans[0]
    # The same section split in two chunks, as a long section is: the second span's lines come from "/1".
    second_chunk = replace(first.chunk, id=first.chunk.id.replace("/0", "/1"))
    split = replace(comp, spans=(first, replace(comp.spans[1], chunk=second_chunk)))
    assert split.spans[0].section_id == split.spans[1].section_id
    cited = cited_hits(split, _hits(library))
    text = render(split, "có nên đọc mã otp cho người gọi ko", cited, 200)
    assert len(cited) == 1 and "[2]" not in text and text.count("[1]") == 2


def test_a_line_that_reads_as_advice_to_hand_over_a_code_never_opens_an_answer():
    lesson = replace(
        OTP,
        id="mat-tai-khoan",
        sections=(
            Section(
                "co-ban",
                "Cơ bản",
                "Tài khoản bị chiếm bằng cách nào?\n- Đọc mã xác nhận cho người khác.\n- Cài ứng dụng lạ.",
                1,
            ),
        ),
    )
    chunks = chunk_lessons([lesson])
    spans = [
        AnswerSpan("mat-tai-khoan", "co-ban", 1, 1, ("đọc mã xác nhận cho người khác có sao không",)),
        AnswerSpan("mat-tai-khoan", "co-ban", 0, 2, ("tài khoản bị chiếm bằng cách nào",)),
    ]
    library = AnswerLibrary([lesson], chunks, spans)
    shown = [s.lines for s in library.spans]
    # Alone, the line would answer "có sao không" with "Đọc mã xác nhận cho người khác.": it is not a span.
    assert ("Đọc mã xác nhận cho người khác.",) not in shown
    # Under its heading it is the warning it was written as, and it stays.
    assert ("Tài khoản bị chiếm bằng cách nào?", "Đọc mã xác nhận cho người khác.", "Cài ứng dụng lạ.") in shown
    assert all(lines[0] != "Đọc mã xác nhận cho người khác." for lines in shown)


WIFI = replace(
    OTP,
    id="ket-noi-wifi",
    sections=(
        Section(
            "co-ban",
            "Cơ bản",
            "Mật khẩu Wi-Fi giống chìa khóa cổng.\n- Mở Cài đặt.\n- Chạm vào mục Wi-Fi.\n"
            "- Chờ máy hiện danh sách tên mạng.\n- Chạm vào tên mạng nhà mình.\n- Gõ mật khẩu Wi-Fi.",
            1,
        ),
        Section(
            "trung-cap",
            "Trung cấp",
            "Lỗi thường gặp:\n- Báo sai mật khẩu: gõ lại cẩn thận.\n- Không vào được mạng: tắt modem rồi bật lại.",
            9,
        ),
    ),
    path="ket-noi-wifi.md",
)
# Written spans overlap by design: the steps up to the list of networks, and from that line on.
WIFI_SPANS = [
    AnswerSpan("ket-noi-wifi", "co-ban", 0, 0, ("mật khẩu wifi để làm gì",)),
    AnswerSpan("ket-noi-wifi", "co-ban", 1, 3, ("bật wifi trên điện thoại ở đâu",)),
    AnswerSpan("ket-noi-wifi", "co-ban", 3, 5, ("thấy tên wifi rồi bấm tiếp gì", "bật wifi rồi vào mạng nhà mình")),
    AnswerSpan("ket-noi-wifi", "trung-cap", 1, 1, ("wifi báo sai mật khẩu", "wifi sai mat khau")),
    AnswerSpan("ket-noi-wifi", "trung-cap", 0, 2, ("wifi hay gặp lỗi gì",)),
]


@pytest.mark.parametrize("pieces", [True, False])
def test_a_procedure_split_over_two_overlapping_spans_is_answered_whole_and_its_shared_step_shown_once(pieces: bool):
    library = AnswerLibrary([WIFI], chunk_lessons([WIFI]), WIFI_SPANS)
    hits = [Hit(c, 1.0) for c in chunk_lessons([WIFI]) if c.section_id == "co-ban"]
    composer = Composer(library, ComposeWeights(companion=0.0, pieces=pieces))
    comp = composer.compose("bật wifi trên điện thoại ở đâu", Level.CO_BAN, hits)
    assert comp is not None
    lines = [line for s in comp.spans for line in s.lines]
    steps = ["Mở Cài đặt.", "Chạm vào mục Wi-Fi.", "Chờ máy hiện danh sách tên mạng."]
    rest = ["Chạm vào tên mạng nhà mình.", "Gõ mật khẩu Wi-Fi."]
    if pieces:
        # The second half follows the first, before the analogy the lesson puts ahead of the list.
        assert lines == [*steps, *rest, "Mật khẩu Wi-Fi giống chìa khóa cổng."]
        assert lines.count("Chờ máy hiện danh sách tên mạng.") == 1
    else:
        assert lines[:3] == steps and not set(rest) & set(lines)


def test_the_lines_an_overlapping_span_adds_count_against_the_budget_alone():
    library = AnswerLibrary([WIFI], chunk_lessons([WIFI]), WIFI_SPANS)
    hits = [Hit(c, 1.0) for c in chunk_lessons([WIFI]) if c.section_id == "co-ban"]
    first = sum(len(syllables(x)) for x in ("Mở Cài đặt.", "Chạm vào mục Wi-Fi.", "Chờ máy hiện danh sách tên mạng."))
    added = sum(len(syllables(x)) for x in ("Chạm vào tên mạng nhà mình.", "Gõ mật khẩu Wi-Fi."))
    # Room for the two new steps, not for the whole second span with the line it shares.
    weights = with_budget(ComposeWeights(companion=0.0), Level.CO_BAN, first + added)
    comp = Composer(library, weights).compose("bật wifi trên điện thoại ở đâu", Level.CO_BAN, hits)
    assert comp is not None and comp.syllables == first + added


def test_a_heading_is_never_added_alone_by_an_overlapping_span():
    library = AnswerLibrary([WIFI], chunk_lessons([WIFI]), WIFI_SPANS)
    hits = [Hit(c, 1.0) for c in chunk_lessons([WIFI]) if c.section_id == "trung-cap"]
    comp = Composer(library, ComposeWeights(companion=0.0)).compose("wifi báo sai mật khẩu", Level.TRUNG_CAP, hits)
    assert comp is not None
    lines = [line for s in comp.spans for line in s.lines]
    assert lines[0] == "Báo sai mật khẩu: gõ lại cẩn thận."
    assert "Không vào được mạng: tắt modem rồi bật lại." in lines and "Lỗi thường gặp:" not in lines


@pytest.mark.parametrize("steps", [0.1, 0.0])
def test_a_how_to_question_at_nang_cao_gets_the_lessons_steps(steps: float):
    # The shipped Wi-Fi lesson: at Nâng cao its own section's harder lines (a tip for teaching others, a modem fix)
    # filled "cách kết nối wifi" without a single step.
    from tutor.corpus.load import load_lessons

    lessons = load_lessons(ROOT / "corpus" / "lessons")
    lesson = next(x for x in lessons if x.id == "dien-thoai-ket-noi-wifi")
    chunks = chunk_lessons([lesson])
    spans = [s for s in require_spans(ROOT / "corpus", lessons) if s.lesson_id == lesson.id]
    library = AnswerLibrary([lesson], chunks, spans)
    composer = Composer(library, ComposeWeights(steps=steps))
    # Retrieval found the level sections; the steps section is a sibling the composer may take lines from.
    found = {"nang-cao": 1.0, "trung-cap": 0.9, "co-ban": 0.8}
    hits = [Hit(c, found[c.section_id]) for c in chunks if c.section_id in found]
    comp = composer.compose("cách kết nối wifi cho điện thoại", Level.NANG_CAO, hits, kind=Kind.HOWTO)
    assert comp is not None
    shown = {s.section_id for s in comp.spans}
    assert ("cac-buoc" in shown) == (steps > 0)


def _shipped(lesson_id: str) -> tuple[AnswerLibrary, list[Chunk]]:
    """The library of every shipped lesson (spans are scored against all of them) and one lesson's chunks."""
    from tutor.corpus.load import load_lessons

    lessons = load_lessons(ROOT / "corpus" / "lessons")
    chunks = chunk_lessons(lessons)
    library = AnswerLibrary(lessons, chunks, require_spans(ROOT / "corpus", lessons))
    return library, [c for c in chunks if c.lesson_id == lesson_id]


@pytest.mark.parametrize("in_use", [True, False])
def test_a_how_to_answer_neither_opens_on_a_definition_nor_defines_words_it_does_not_use(in_use: bool):
    # The shipped call-blocking lesson: "cách chặn số điện thoại lạ" opened on "Chặn: không cho một số điện thoại…"
    # and went on with "5656: đầu số…", a number the answer never mentioned, before any step.
    library, chunks = _shipped("dien-thoai-chan-cuoc-goi")
    # What retrieval found for it: the Cơ bản and Trung cấp sections.
    found = {"co-ban": 1.0, "trung-cap": 0.87}
    hits = [Hit(c, found[c.section_id]) for c in chunks if c.section_id in found]
    question = "cách chặn số điện thoại lạ"
    comp = Composer(library, ComposeWeights(glossary_in_use=in_use)).compose(
        question, Level.CO_BAN, hits, kind=Kind.HOWTO
    )
    assert comp is not None
    glossary = [s for s in comp.spans if s.section_id == "tu-kho"]
    others = [s for s in comp.spans if s.section_id != "tu-kho"]
    if in_use:
        assert comp.spans[0].section_id != "tu-kho"
        assert all(defines_shown(s, question, others) for s in glossary)
    else:
        assert comp.spans[0].section_id == "tu-kho"


def test_a_glossary_line_joins_only_when_its_term_is_read_in_the_question_or_the_answer():
    library, _ = _shipped("dien-thoai-chan-cuoc-goi")
    entry = next(s for s in library.spans if s.section_id == "tu-kho" and s.lines[0].startswith("5656:"))
    dnc = next(s for s in library.spans if s.section_id == "tu-kho" and "(DNC)" in s.lines[0])
    steps = next(s for s in library.spans if s.section_id == "cac-buoc" and any("5656" in x for x in s.lines))
    assert defines_shown(entry, "chặn số lạ", [steps])
    assert defines_shown(entry, "5656 la so gi", [])
    assert not defines_shown(entry, "chặn số lạ", [])
    # Either name of a term counts, and only as a whole word: "DNC" inside "DNCX" does not.
    assert defines_shown(dnc, "dang ky DNC the nao", []) and not defines_shown(dnc, "DNCX", [])
    # Lines that are not glossary entries always may join.
    assert defines_shown(steps, "", [])


def test_a_step_shown_alone_loses_its_number_while_steps_in_sequence_keep_theirs():
    lines = ["Ví điện tử khác tài khoản ngân hàng.", "7. Liên kết với tài khoản ngân hàng. [2]"]
    assert unnumber_lone_steps(lines) == [
        "Ví điện tử khác tài khoản ngân hàng.",
        "Liên kết với tài khoản ngân hàng. [2]",
    ]
    steps = ["3. Chạm Gần đây.", "4. Chọn Chặn. [1]", "Không gọi lại số lạ. [2]", "11. Đăng nhập."]
    assert unnumber_lone_steps(steps) == [
        "3. Chạm Gần đây.",
        "4. Chọn Chặn. [1]",
        "Không gọi lại số lạ. [2]",
        "Đăng nhập.",
    ]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("có người gọi xưng công an đòi mã OTP", {"code"}),
        ("đọc mã kích hoạt cho cán bộ", {"code"}),
        ("nhân viên hỏi ma pin va so the", {"password", "card"}),
        ("gửi ảnh cccd 2 mặt", {"id"}),
        ("đổi mật khẩu Zalo thế nào", {"password"}),
        ("cách chặn số điện thoại lạ", set()),
    ],
)
def test_what_a_text_names_as_handed_over_is_read_by_kind_with_or_without_marks(text: str, kinds: set[str]):
    assert handover_kinds(text) == kinds


@pytest.mark.parametrize("other_handover", [0.3, 0.0])
def test_a_question_about_a_code_is_not_answered_first_by_the_rule_about_an_id_photo(other_handover: float):
    # The product's own example: the written question "người gọi xưng công an đòi ảnh căn cước có gửi không" shares
    # six words with it, the OTP rule's "công an có hỏi mã otp không" four, and OTP is in too many questions to weigh.
    library, chunks = _shipped("lua-dao-gia-danh-cong-an")
    hits = [Hit(c, 1.0) for c in chunks]
    weights = ComposeWeights(other_handover=other_handover)
    comp = Composer(library, weights).compose("có người gọi xưng công an đòi mã OTP", Level.CO_BAN, hits)
    assert comp is not None
    opening = comp.spans[0].lines[0]
    if other_handover:
        # It opens on what to do ("Hãy tắt máy…") or on the OTP rule itself, and the OTP rule comes at once.
        assert not opening.startswith("Không gửi ảnh căn cước")
        assert any("OTP" in line for s in comp.spans[:2] for line in s.lines)
    else:
        assert opening.startswith("Không gửi ảnh căn cước")


@pytest.mark.parametrize("repeats", [0.7, 1.1])
def test_a_companion_that_repeats_the_steps_already_shown_gives_way(repeats: float):
    # The shipped Wi-Fi lesson at Cơ bản: the numbered steps, then the level section's list of the same steps
    # ("Chạm Kết nối (iPhone: Tham gia)" twice).
    library, chunks = _shipped("dien-thoai-ket-noi-wifi")
    found = {"cac-buoc": 1.0, "co-ban": 0.95, "trung-cap": 0.9}
    hits = [Hit(c, found[c.section_id]) for c in chunks if c.section_id in found]
    comp = Composer(library, ComposeWeights(repeats=repeats)).compose(
        "Cách kết nối điện thoại vào mạng Wi-Fi ở nhà?", Level.CO_BAN, hits, kind=Kind.HOWTO
    )
    assert comp is not None
    lines = [re.sub(r"^\d+\. ", "", line) for s in comp.spans for line in s.lines]
    twice = {line for line in lines if lines.count(line) > 1}
    assert bool(twice) == (repeats > 1)


def _two_lessons() -> tuple[AnswerLibrary, Chunk, Chunk]:
    lessons = [OTP, WIFI]
    chunks = chunk_lessons(lessons)
    library = AnswerLibrary(lessons, chunks, [*SPANS, *WIFI_SPANS])
    otp = next(c for c in chunks if c.lesson_id == "an-toan-otp" and c.section_id == "co-ban")
    wifi = next(c for c in chunks if c.lesson_id == "ket-noi-wifi" and c.section_id == "co-ban")
    return library, otp, wifi


@pytest.mark.parametrize("questions", [0.1, 0.0])
def test_a_lesson_whose_written_question_matches_moves_ahead_of_a_close_hit(questions: float):
    library, otp, wifi = _two_lessons()
    hits = [Hit(wifi, 0.90), Hit(otp, 0.85)]
    ranked = Composer(library, ComposeWeights(questions=questions)).rerank(
        "có nên đọc mã OTP cho người gọi không", hits, 2
    )
    assert [h.chunk.lesson_id for h in ranked] == (
        ["an-toan-otp", "ket-noi-wifi"] if questions else ["ket-noi-wifi", "an-toan-otp"]
    )


def test_re_ranking_keeps_k_hits_and_a_trainers_document_that_answers_keeps_first_place():
    library, otp, wifi = _two_lessons()
    page = _page("Mã OTP của ngân hàng gửi qua tin nhắn.")
    composer = Composer(library, ComposeWeights(questions=0.1))
    answering = Hit(page, 0.90, similarity=DOCUMENT_SIMILARITY + 0.01)
    ranked = composer.rerank("có nên đọc mã OTP cho người gọi không", [answering, Hit(otp, 0.85), Hit(wifi, 0.8)], 2)
    assert [h.chunk.lesson_id for h in ranked] == [page.lesson_id, "an-toan-otp"]


def test_a_heading_whose_list_is_not_shown_is_dropped_and_one_followed_by_its_list_kept():
    paragraph = "Kẻ gian dán đè mã QR lên mã thật. Cách phòng:"
    assert without_dangling_heading(["Không quét mã lạ.", paragraph], continued=False) == [
        "Không quét mã lạ.",
        "Kẻ gian dán đè mã QR lên mã thật.",
    ]
    assert without_dangling_heading(["Lỗi thường gặp:"], continued=False) == []
    assert without_dangling_heading([paragraph], continued=True) == [paragraph]
    assert without_dangling_heading(["Không quét mã lạ."], continued=False) == ["Không quét mã lạ."]


@pytest.mark.parametrize("other_kind", [0.3, 0.0])
def test_a_how_to_question_gets_the_steps_not_the_definition_its_words_also_match(other_kind: float):
    # The shipped hotspot lesson: "cách phát wifi từ điện thoại" shares every word with the written question "phát
    # wifi từ điện thoại là gì" and opened on what a hotspot is.
    library, chunks = _shipped("dien-thoai-du-lieu-di-dong")
    comp = Composer(library, ComposeWeights(other_kind=other_kind)).compose(
        "cách phát wifi từ điện thoại", Level.CO_BAN, [Hit(c, 1.0) for c in chunks], kind=Kind.HOWTO
    )
    assert comp is not None
    assert (comp.spans[0].section_id == "cac-buoc") == (other_kind > 0)


@pytest.mark.parametrize("whole_steps", [True, False])
def test_a_how_to_answer_never_adds_steps_from_the_middle_of_a_list(whole_steps: bool):
    # Without the kind weight the hotspot answer opens on the definition, and steps 6-8 ("Trên máy kia…") fit the
    # budget where steps 1-5 do not: the learner would read how the other phone joins before turning anything on.
    library, chunks = _shipped("dien-thoai-du-lieu-di-dong")
    comp = Composer(library, ComposeWeights(other_kind=0.0, whole_steps=whole_steps)).compose(
        "cách phát wifi từ điện thoại", Level.CO_BAN, [Hit(c, 1.0) for c in chunks], kind=Kind.HOWTO
    )
    assert comp is not None
    midway = [s for s in comp.spans[1:] if re.match(r"[2-9]\. ", s.lines[0])]
    assert bool(midway) == (not whole_steps)


def test_a_list_may_start_in_its_middle_when_that_is_what_was_asked():
    library, chunks = _shipped("dien-thoai-du-lieu-di-dong")
    comp = Composer(library).compose(
        "máy kia vào wifi phát từ điện thoại mình thế nào", Level.CO_BAN, [Hit(c, 1.0) for c in chunks], kind=Kind.HOWTO
    )
    assert comp is not None
    assert comp.spans[0].lines[0].startswith("6. Trên máy kia")


@pytest.mark.parametrize("whole_steps", [True, False])
def test_steps_of_one_list_read_in_their_order_even_with_a_gap(whole_steps: bool):
    # The shipped screenshot lesson: steps 4-6 (send it on Zalo) answer best, steps 1-2 (take it) join; they were
    # shown after the Cơ bản line, below step 6.
    library, chunks = _shipped("dien-thoai-chup-man-hinh")
    comp = Composer(library, ComposeWeights(whole_steps=whole_steps)).compose(
        "cách gửi ảnh chụp màn hình qua zalo", Level.CO_BAN, [Hit(c, 1.0) for c in chunks], kind=Kind.HOWTO
    )
    assert comp is not None
    steps = [int(m.group(1)) for s in comp.spans for line in s.lines if (m := re.match(r"(\d+)\. ", line))]
    assert 1 in steps and 4 in steps
    assert (steps == sorted(steps)) == whole_steps


def test_a_list_cut_into_two_spans_shown_together_carries_one_citation_mark():
    library, chunk = _three_steps(
        "quen-mat-khau",
        "1. Bấm Quên mật khẩu.\n2. Nhập mã OTP.\n3. Đặt mật khẩu mới.",
        "quên mật khẩu thì làm sao",
        "đặt lại mật khẩu mới ở đâu",
    )
    comp = Composer(library, ComposeWeights(companion=0.0)).compose(
        "quên mật khẩu thì làm sao", Level.CO_BAN, [Hit(chunk, 1.0)], kind=Kind.HOWTO
    )
    assert comp is not None and len(comp.spans) == 2
    text = render(comp, "quên mật khẩu thì làm sao", cited_hits(comp, [Hit(chunk, 1.0)]), 80)
    assert text.splitlines() == ["1. Bấm Quên mật khẩu.", "2. Nhập mã OTP.", "3. Đặt mật khẩu mới. [1]"]
