"""The web pages in a real Chromium against a real server: the streamed answer and its citation, the trainer
preview side by side (stacked on phones), the placement quiz, the progress view, font size and keyboard use."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from tests.api.conftest import REPLY, Api, MakeApi
from tests.api.live import LiveServer
from tests.browser.conftest import DESKTOP, PHONE
from tutor.llm.scripted import ScriptedChatModel
from tutor.types import Message

pytestmark = pytest.mark.browser
QUESTION = "có người gọi xưng công an đòi mã OTP"
LONG_REPLY = REPLY + " Hãy tắt máy, rồi tự gọi 113 hoặc đến trụ sở công an gần nhất để hỏi [2]."


class SlowScripted(ScriptedChatModel):
    """The scripted reply, one word every 60 ms, so a test can see the answer arrive piece by piece."""

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        for piece in super().stream(messages, max_tokens=max_tokens, temperature=temperature):
            time.sleep(0.06)
            yield piece


def _page(browser: Any, server: LiveServer, viewport: dict[str, int], path: str = "/") -> Any:
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.url + path)
    return page


def _save_token(page: Any, secret: str) -> None:
    if not page.get_by_label("Dán mã").is_visible():  # pages open the panel themselves when they need a token
        page.locator("details.token summary").click()
    page.get_by_label("Dán mã").fill(secret)
    page.get_by_role("button", name="Lưu mã").click()
    page.get_by_text("Đã lưu mã trên máy này.").wait_for()


def test_learner_sees_the_answer_stream_in_and_opens_the_cited_section(
    browser: Any, make_api: MakeApi, shot: Any
) -> None:
    api = make_api(SlowScripted(LONG_REPLY))
    learner, headers = api.learner()
    secret = headers["Authorization"].removeprefix("Bearer ")
    with LiveServer(api.app) as server:
        page = _page(browser, server, PHONE)
        _save_token(page, secret)
        page.get_by_label("Bạn muốn hỏi gì?").fill(QUESTION)
        page.get_by_role("button", name="Hỏi", exact=True).click()
        # Part of the answer is on screen while the citations have not arrived yet: it streams.
        page.wait_for_function(
            "() => { const t = document.querySelector('.turn.assistant .text');"
            " return t && t.textContent.length > 0 && !document.querySelector('a.citation'); }"
        )
        citation = page.locator("a.citation").first
        citation.wait_for()
        assert page.locator(".turn.assistant .text").inner_text().strip() == LONG_REPLY
        page.get_by_role("button", name="👍 Hữu ích").click()
        page.get_by_text("Cảm ơn bạn đã góp ý!").wait_for()
        shot(page, "chat.png")
        href = citation.get_attribute("href")
        assert href and href.startswith("/lessons/lua-dao-gia-danh-cong-an#")
        citation.click()
        page.wait_for_url(f"**{href}")
        section = href.split("#")[1]
        assert page.evaluate("() => document.querySelector(':target').id") == section
        assert page.locator(f"section#{section}").is_visible()
        shot(page, "lesson.png", full_page=False)
    feedback = api.services.feedback.of_learner(learner)
    assert [f.rating for f in feedback] == [1]


def test_trainer_sees_three_levels_side_by_side_and_stacked_on_a_phone(
    browser: Any, make_api: MakeApi, shot: Any
) -> None:
    api = make_api(None)  # extractive: each level quotes its own lesson section
    secret = api.token("trainer")["Authorization"].removeprefix("Bearer ")
    with LiveServer(api.app) as server:
        for viewport, name in ((DESKTOP, "preview.png"), (PHONE, "preview-phone.png")):
            page = _page(browser, server, viewport, "/preview")
            _save_token(page, secret)
            page.get_by_label("Câu hỏi của học viên").fill(QUESTION)
            page.get_by_role("button", name="Xem thử").click()
            columns = page.locator("section.level")
            columns.nth(2).wait_for()
            assert [columns.nth(i).get_attribute("data-level") for i in range(3)] == ["co-ban", "trung-cap", "nang-cao"]
            assert [columns.nth(i).locator("h2").inner_text() for i in range(3)] == ["Cơ bản", "Trung cấp", "Nâng cao"]
            boxes = [columns.nth(i).bounding_box() for i in range(3)]
            if viewport is DESKTOP:
                assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"]
                assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
            else:
                assert boxes[0]["x"] == boxes[1]["x"] == boxes[2]["x"]
                assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
            columns.nth(0).locator("details summary").click()
            assert "điểm" in columns.nth(0).locator(".passage .score").first.inner_text()
            shot(page, name)
            page.context.close()


def _answer_key(api: Api) -> dict[str, int]:
    return {item.id: item.answer for item in api.services.learners().bank}


def test_learner_takes_the_placement_quiz_and_sees_progress(browser: Any, make_api: MakeApi, shot: Any) -> None:
    api = make_api(ScriptedChatModel(REPLY))
    learner, headers = api.learner()
    key = _answer_key(api)
    with LiveServer(api.app) as server:
        page = _page(browser, server, PHONE, "/placement")
        _save_token(page, headers["Authorization"].removeprefix("Bearer "))
        page.get_by_role("button", name="Bắt đầu bài xếp lớp").click()
        answered = 0
        while True:
            legend = page.locator("#stem")
            legend.wait_for()
            record = api.services.store.active_placement(learner)
            assert record is not None
            pending = next(i for i in api.services.learners().bank if i.id == record.state.asked[-1])
            right = key[pending.id]
            # A learner who knows the basics but not the advanced items, so the result lands mid-scale.
            knows = pending.level.value in ("co-ban", "trung-cap")
            choice = right if knows else (right + 1) % len(pending.options)
            page.locator(f"button.option[data-choice='{choice}']").click()
            page.locator(".verdict").wait_for()
            answered += 1
            if answered == 2:
                shot(page, "placement.png")
            next_button = page.locator("#next")
            if next_button.inner_text() == "Xem kết quả":
                next_button.click()
                break
            next_button.click()
        assert "Trình độ chung của bạn" in page.locator("#result-level").inner_text()
        assert page.locator("table tbody tr").count() == 6
        shot(page, "placement-result.png")
        page.get_by_role("link", name="Xem bài nên học tiếp").click()
        page.wait_for_url("**/progress")
        page.locator("#recommendations .card").first.wait_for()
        assert page.locator("tbody tr").count() == 6
        shot(page, "progress.png")
    assert 5 <= answered <= 15


def test_font_size_switch_persists_and_the_page_works_from_the_keyboard(browser: Any, make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY))
    with LiveServer(api.app) as server:
        page = _page(browser, server, PHONE)
        page.get_by_role("button", name="Chữ rất to").click()
        size = "() => getComputedStyle(document.documentElement).fontSize"
        assert page.evaluate(size) == "26px"
        page.reload()
        assert page.evaluate(size) == "26px"
        assert page.get_by_role("button", name="Chữ rất to").get_attribute("aria-pressed") == "true"
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        page.keyboard.type("mã OTP là gì")
        page.keyboard.press("Control+Enter")
        page.locator("a.citation").first.wait_for()
        assert page.evaluate("() => document.activeElement.id") == "q"  # focus returns to the question box
