"""Learning in a real Chromium: the placement quiz marks right and wrong in words and icons, the progress page speaks
the learner's language (their own name, skills in words, the placement counted), the final test is a real page,
lessons render as lessons, and "Nghe" reads a section aloud (the tutor's WAV, or the phone's Vietnamese voice)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Site
from tutor.speech.reading import reading

pytestmark = pytest.mark.browser


def _take_placement(page: Any, site: Site, learner: str, shot: Any, axe: Any) -> int:
    key = {item.id: item.answer for item in site.services.learners().bank}
    bank = {item.id: item for item in site.services.learners().bank}
    page.get_by_role("button", name="Bắt đầu bài xếp lớp").click()
    answered = 0
    while True:
        page.locator("#stem").wait_for()
        record = site.services.store.active_placement(learner)
        assert record is not None
        pending = bank[record.state.asked[-1]]
        right = key[pending.id]
        # A learner who knows the basics but not the advanced items, so the result lands mid-scale.
        knows = pending.level.value in ("co-ban", "trung-cap")
        choice = right if knows else (right + 1) % len(pending.options)
        page.locator(f"button.option[data-choice='{choice}']").click()
        page.locator(".verdict").wait_for()
        # Right and wrong in words and an icon, never colour alone.
        marked = page.locator(f"button.option[data-choice='{right}'] .mark").inner_text()
        assert marked.startswith("✓") and "Đáp án đúng" in marked
        verdict = page.locator(".verdict").inner_text()
        if choice == right:
            assert verdict.startswith("✓") and "Đúng rồi" in verdict
        else:
            chosen = page.locator(f"button.option[data-choice='{choice}'] .mark").inner_text()
            assert chosen.startswith("✗") and "chưa đúng" in chosen and verdict.startswith("✗")
            if not page.evaluate("() => window.__shotWrong"):
                axe(page, "placement, a wrong answer")
                shot(page, "placement.png")
                page.evaluate("() => { window.__shotWrong = true; }")
        answered += 1
        next_button = page.locator("#next")
        if next_button.inner_text() == "Xem kết quả":
            next_button.click()
            return answered
        next_button.click()


def test_placement_then_progress_in_the_learners_words(open_page: Any, site: Site, axe: Any, shot: Any) -> None:
    learner, secret = site.learner()
    page = open_page(PHONE, "/placement", secret)
    answered = _take_placement(page, site, learner, shot, axe)
    assert 5 <= answered <= 15
    assert "Trình độ chung của bạn" in page.locator("#result-level").inner_text()
    assert page.locator("table tbody tr").count() == 6
    axe(page, "placement result")
    shot(page, "placement-result.png")
    page.get_by_role("link", name="Xem bài nên học tiếp").click()
    page.wait_for_url("**/progress")
    page.locator("#recommendations .card").first.wait_for()
    # No name yet: the page asks how to call the learner, and greets them by it once given.
    assert page.locator("#who").inner_text() == "Chào bạn!"
    page.get_by_label(re.compile("^Tên gọi")).fill("Bác Lan")
    page.get_by_role("button", name="Lưu tên").click()
    page.wait_for_function("() => document.querySelector('#who').textContent === 'Chào Bác Lan!'")
    assert site.services.store.get_learner(learner).display_name == "Bác Lan"
    text = page.locator("main").inner_text()
    assert "HV-" not in text  # never the system's pseudonym
    assert not re.search(r"năng lực \d|\b[1-6]\.[1-9]\b", text), "competences must be named in words"
    assert "chưa làm bài kiểm tra nào" not in text
    assert "Bài xếp lớp: đã làm 1 lần" in page.locator("#tests").inner_text()
    assert "theo bài xếp lớp" in page.locator("#recommendations").inner_text()
    assert page.locator("tbody tr").count() == 6
    axe(page, "progress, phone")
    shot(page, "progress.png")
    page.get_by_role("link", name="Làm bài kiểm tra cuối khóa").click()
    page.wait_for_url("**/final-test")
    page.get_by_role("button", name="Bắt đầu bài kiểm tra").wait_for()


def test_the_final_test_page_grades_and_issues_the_certificate(open_page: Any, site: Site, axe: Any, shot: Any) -> None:
    learner, secret = site.learner(display_name="Anh Minh")
    key = {item.id: item.answer for item in site.services.learners().bank}
    page = open_page(PHONE, "/final-test", secret)
    page.get_by_text("Chào Anh Minh!").wait_for()
    page.get_by_role("button", name="Bắt đầu bài kiểm tra").click()
    axe(page, "final test, a question")
    while True:
        stem = page.locator("#stem")
        stem.wait_for()
        events = site.services.learners()._final_events(learner)
        item_ids = next(e["item_ids"] for e in events if e.get("event") == "started")
        index = int(re.match(r"Câu (\d+)/", stem.inner_text())[1]) - 1  # type: ignore[index]
        page.locator(f"#opt-{key[item_ids[index]]}").check()
        button = page.locator("#next")
        last = button.inner_text() == "Nộp bài"
        button.click()
        if last:
            break
    result = page.locator("#final-result")
    result.wait_for()
    assert result.inner_text().startswith("✓") and "Đạt" in result.inner_text()
    page.get_by_role("button", name="Nhận chứng nhận").click()
    page.locator("#certificate-issued").wait_for()
    assert len(site.services.store.certificates(learner)) == 1
    axe(page, "final test, passed")
    shot(page, "final-test.png")
    page.goto(site.url + "/progress")
    page.locator("#tests").wait_for()
    assert "Bài kiểm tra cuối khóa: đã làm 1 lần, lần gần nhất đạt." in page.locator("#tests").inner_text()


def test_lessons_render_as_lessons_with_bullets_on_the_first_line(open_page: Any, site: Site, axe: Any) -> None:
    page = open_page(PHONE, "/lessons")
    axe(page, "lesson list, phone")
    # Titles that wrap onto two lines or more: the link is a block, so the bullet sits on its first line.
    rows = page.evaluate(
        """() => [...document.querySelectorAll('.lesson-list li')].map(li => {
             const a = li.querySelector('a'), lines = a.getClientRects().length;
             const first = parseFloat(getComputedStyle(a).lineHeight);
             return {lines: Math.round(a.getBoundingClientRect().height / first), display: getComputedStyle(a).display,
                     top: Math.round(a.getBoundingClientRect().top - li.getBoundingClientRect().top)};
           })"""
    )
    wrapped = [r for r in rows if r["lines"] >= 2]
    assert wrapped, "some titles wrap on a phone"
    assert all(r["display"] == "block" and r["top"] <= 12 for r in rows)
    page.goto(site.url + "/lessons/an-toan-ma-otp")
    section = page.locator("section#co-ban")
    assert section.locator(".prose ul > li").count() >= 5  # a Markdown list, not raw "- " lines
    assert "**" not in page.locator("main").inner_text()
    padding = section.locator(".prose ul").evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")
    assert padding >= 18  # the list is indented
    assert page.locator("button.listen").count() == page.locator("section.lesson-section").count()
    axe(page, "lesson, phone")


def test_nghe_plays_the_tutors_vietnamese_audio_in_chromium(open_page: Any, site: Site, axe: Any) -> None:
    page = open_page(PHONE, "/lessons/an-toan-ma-otp")
    # Headless Chromium has no voices: the page falls back to the tutor's offline WAV.
    assert page.evaluate("() => speechSynthesis.getVoices().filter(v => v.lang.startsWith('vi')).length") == 0
    button = page.locator("section#co-ban button.listen")
    with page.expect_response("**/api/lessons/an-toan-ma-otp/sections/co-ban/speech") as response:
        button.click()
    wav = response.value
    assert wav.status == 200 and wav.headers["content-type"] == "audio/wav"
    page.wait_for_function(
        "() => { const p = T.playing();"
        " return p && p.mode === 'audio' && !p.audio.paused && p.audio.currentTime > 0.3; }"
    )
    seconds = page.evaluate("() => T.playing().audio.duration")
    assert 20 < seconds < 200  # the whole section, not a beep
    assert button.get_attribute("aria-pressed") == "true" and button.inner_text().strip().endswith("Dừng")
    axe(page, "lesson, reading aloud")
    button.click()
    assert page.evaluate("() => T.playing()") is None and button.get_attribute("aria-pressed") == "false"


# A phone with a Vietnamese voice: the page's speechSynthesis (and its utterances, which accept only real voices) are
# replaced by a recorder before any script runs.
_FAKE_VOICE = """
window.__spoken = [];
const viVoice = {lang: 'vi-VN', name: 'Giọng Việt', voiceURI: 'vi', default: true, localService: true};
Object.defineProperty(window, 'speechSynthesis', {value: {
  getVoices: () => [viVoice], cancel: () => {}, speaking: false,
  speak: (u) => { window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.lang}); },
}});
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
"""


def test_a_phone_with_a_vietnamese_voice_speaks_the_normalised_answer(open_page: Any, site: Site) -> None:
    page = open_page(DESKTOP, "/", init=_FAKE_VOICE)
    page.get_by_label("Bạn muốn hỏi gì?").fill("có người gọi xưng công an đòi mã OTP")
    page.get_by_role("button", name="Hỏi", exact=True).click()
    bubble = page.locator(".turn.assistant").last
    bubble.locator("a.citation").first.wait_for()
    bubble.get_by_role("button", name="Nghe").click()
    page.wait_for_function("() => window.__spoken.length === 1")
    spoken = page.evaluate("() => window.__spoken[0]")
    answer = bubble.locator(".text").inner_text()
    assert spoken["lang"] == "vi-VN" and spoken["voice"] == "vi-VN"
    assert spoken["text"] == reading(answer)  # numbers and abbreviations written out the server's way
    assert "ô tê pê" in spoken["text"] and "một một ba" in spoken["text"] and "OTP" not in spoken["text"]
