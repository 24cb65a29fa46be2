"""The chat page on a phone (390×844) and a desktop: the question box stays reachable, the answer bubble says at once
that the tutor is answering, errors show in the bubble with a retry button, the header folds, menus follow the role,
a revoked code falls back to anonymous asking, and a shared phone forgets the code with the tab."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, LONG_REPLY, PHONE, QUESTION, Site

pytestmark = pytest.mark.browser


def _box_on_screen(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box, height)


def _no_page_scroll(page: Any) -> None:
    # The conversation scrolls inside its own area; the page itself never grows past the screen.
    assert page.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")


def _ask(page: Any, question: str = QUESTION) -> None:
    page.get_by_label("Bạn muốn hỏi gì?").fill(question)
    page.get_by_role("button", name="Hỏi", exact=True).click()


def test_phone_chat_shows_it_is_answering_at_once_and_keeps_the_box_at_hand(
    open_page: Any, site: Site, axe: Any, shot: Any
) -> None:
    learner, secret = site.learner()
    site.model.first_delay = 1.2  # the model is slow to start: the learner must see that something is happening
    page = open_page(PHONE, "/", secret)
    _box_on_screen(page, "#q")
    _box_on_screen(page, "#send")
    axe(page, "chat, empty, phone")
    _ask(page)
    bubble = page.locator(".turn.assistant").last
    bubble.locator(".typing").wait_for(timeout=1000)  # at once, long before the first word
    assert "đang trả lời" in bubble.inner_text() and bubble.get_attribute("aria-busy") == "true"
    assert page.locator("#q").input_value() == ""  # the question moved into the conversation
    assert page.locator(".turn.user").last.inner_text() == QUESTION
    axe(page, "chat, answering, phone")
    # The answer streams in: part of it is on screen before the sources arrive.
    page.wait_for_function(
        "() => { const t = document.querySelector('.turn.assistant .text');"
        " return t && !t.querySelector('.typing') && t.textContent.length > 0"
        " && !document.querySelector('a.citation'); }"
    )
    citation = page.locator("a.citation").first
    citation.wait_for()
    assert bubble.locator(".text").inner_text().strip() == LONG_REPLY
    page.get_by_role("button", name="👍 Hữu ích").click()
    page.get_by_text("Cảm ơn bạn đã góp ý!").wait_for()
    for n in (1, 2):  # a longer conversation: the box stays on screen, the page does not scroll
        _ask(page, "mã OTP là gì")
        page.locator(".turn.assistant").nth(n).locator("a.citation").first.wait_for()
    _box_on_screen(page, "#q")
    _box_on_screen(page, "#send")
    _no_page_scroll(page)
    axe(page, "chat, answered, phone")
    page.locator(".scroller").evaluate("el => { el.scrollTop = 0; }")
    page.evaluate("() => document.querySelector('.turn.assistant').scrollIntoView()")
    shot(page, "chat.png", full_page=False)
    href = citation.get_attribute("href")
    assert href and href.startswith("/lessons/lua-dao-gia-danh-cong-an#")
    citation.click()
    page.wait_for_url(f"**{href}")
    section = href.split("#")[1]
    assert page.evaluate("() => document.querySelector(':target').id") == section
    assert page.locator(f"section#{section}").is_visible()
    shot(page, "lesson.png", full_page=False)
    assert [f.rating for f in site.services.feedback.of_learner(learner)] == [1]


def test_an_error_shows_in_the_bubble_with_a_retry_button_that_works(open_page: Any, site: Site, axe: Any) -> None:
    # Answers no longer wait for a busy model (they are composed), so the 503 a busy service would send is played
    # by the browser once: the first try fails, the retry reaches the real service.
    page = open_page(PHONE, "/")
    busy = {"error": "ServiceBusyError", "message": "Trợ giảng đang bận, bạn vui lòng hỏi lại."}
    failed: list[str] = []

    def once(route: Any) -> None:
        if failed:
            route.continue_()
            return
        failed.append(route.request.url)
        route.fulfill(status=503, headers={"Retry-After": "3"}, content_type="application/json", body=json.dumps(busy))

    page.route("**/api/chat/stream", once)
    _ask(page)
    bubble = page.locator(".turn.assistant").last
    error = bubble.get_by_role("alert")
    error.wait_for()
    assert "bận" in error.inner_text() and "thử lại sau khoảng 3 giây" in error.inner_text()
    _box_on_screen(page, ".turn.assistant .retry")
    axe(page, "chat, error, phone")
    bubble.get_by_role("button", name="Thử lại").click()
    bubble.locator("a.citation").first.wait_for()
    assert not bubble.get_by_role("alert").count()
    assert page.locator(".turn.assistant").count() == 1  # retried in the same bubble


def test_a_revoked_code_falls_back_to_anonymous_asking(open_page: Any, site: Site) -> None:
    learner, secret = site.learner()
    page = open_page(PHONE, "/", secret)
    info = site.services.tokens.find(learner_id=learner)[0]
    site.services.tokens.revoke(info.id)
    _ask(page)
    bubble = page.locator(".turn.assistant").last
    bubble.locator("a.citation").first.wait_for()
    assert "không còn dùng được" in bubble.locator(".notice").inner_text()
    assert bubble.locator(".text").inner_text().strip() == LONG_REPLY  # answered all the same
    assert page.evaluate("() => T.token()") == ""
    assert page.locator("#token-state").inner_text() == "Chưa có mã trên máy này."
    _ask(page, "mã OTP là gì")  # and the next question just works, anonymously
    page.locator(".turn.assistant").nth(1).locator("a.citation").first.wait_for()


def test_without_a_code_a_follow_up_is_asked_with_the_conversations_previous_questions(
    open_page: Any, site: Site
) -> None:
    page = open_page(PHONE, "/")

    def asked(question: str, n: int) -> dict[str, Any]:
        with page.expect_request(lambda r: r.url.endswith("/api/chat/stream")) as request:
            _ask(page, question)
        page.locator(".turn.assistant").nth(n).locator("a.citation").first.wait_for()
        return json.loads(request.value.post_data)

    assert asked("Làm sao bật Wi-Fi trên điện thoại?", 0)["previous"] == []
    follow_up = asked("còn nếu là iPhone thì sao", 1)
    assert follow_up["previous"] == ["Làm sao bật Wi-Fi trên điện thoại?"]
    href = page.locator(".turn.assistant").nth(1).locator("a.citation").first.get_attribute("href")
    assert href and href.startswith("/lessons/dien-thoai-ket-noi-wifi#")  # understood as a Wi-Fi question
    page.locator("details.options > summary").click()
    page.get_by_role("button", name="Bắt đầu cuộc trò chuyện mới").click()
    assert asked("mã OTP là gì", 0)["previous"] == []  # a new conversation carries nothing over


def test_the_header_folds_on_a_phone_and_stays_open_on_a_desktop(open_page: Any, site: Site, axe: Any) -> None:
    page = open_page(PHONE, "/")
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 0.12 * PHONE["height"]  # the issue measured 60%
    nav = page.get_by_role("navigation", name="Các trang")
    assert not nav.is_visible()
    toggle = page.get_by_role("button", name="☰ Menu")
    toggle.click()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    axe(page, "chat, menu open, phone")
    page.get_by_role("link", name="Bài học").click()
    page.wait_for_url("**/lessons")
    desk = open_page(DESKTOP, "/")
    assert desk.get_by_role("navigation", name="Các trang").is_visible()
    assert not desk.get_by_role("button", name="☰ Menu").is_visible()
    axe(desk, "chat, desktop")


@pytest.mark.parametrize("path", ["/", "/lessons", "/placement", "/progress", "/final-test"])
def test_learners_never_see_the_trainers_menu_or_the_word_hoc_vien(open_page: Any, site: Site, path: str) -> None:
    _, secret = site.learner()
    page = open_page(DESKTOP, path, secret)
    page.wait_for_function("() => document.querySelector('#token-state, main')")
    page.wait_for_timeout(300)  # the role check (GET /api/whoami) has answered
    visible = page.locator("body").inner_text()
    assert "tập huấn viên" not in visible and "Xem thử" not in visible
    assert "Mã học viên" not in visible and "mã học viên" not in visible


def test_a_trainers_code_reveals_the_trainers_pages_and_their_own_menu(open_page: Any, site: Site) -> None:
    page = open_page(DESKTOP, "/", site.token("trainer"))
    link = page.get_by_role("link", name="Trang tập huấn viên")
    link.wait_for()
    link.click()
    page.wait_for_url("**/preview")
    nav = page.get_by_role("navigation", name="Các trang")
    assert nav.get_by_role("link", name="Xem thử ba trình độ").get_attribute("aria-current") == "page"
    assert nav.get_by_role("link", name="Tài liệu API").is_visible()


def test_a_shared_phone_keeps_the_code_only_for_this_tab_and_a_saved_code_expires(open_page: Any, site: Site) -> None:
    _, secret = site.learner()
    page = open_page(PHONE, "/")
    page.locator("details.token summary").click()
    page.get_by_label("Mã riêng của bạn").fill(secret)
    page.get_by_label("Máy dùng chung: quên mã khi đóng trang").check()
    page.get_by_role("button", name="Lưu mã").click()
    page.get_by_text("Đóng trang là máy quên mã.").wait_for()
    assert page.evaluate("() => [sessionStorage.getItem('tutor.token'), localStorage.getItem('tutor.token')]") == [
        secret,
        None,
    ]
    other_tab = page.context.new_page()  # a new tab of the same browser: sessionStorage is per tab
    other_tab.goto(site.url + "/")
    assert other_tab.evaluate("() => T.token()") == ""
    other_tab.close()
    # Not shared: remembered with an expiry (30 days by default); an expired code is forgotten.
    page.locator("details.token summary").click()
    page.get_by_role("button", name="Xóa mã").click()
    page.get_by_label("Mã riêng của bạn").fill(secret)
    page.get_by_label("Máy dùng chung: quên mã khi đóng trang").uncheck()
    page.get_by_role("button", name="Lưu mã").click()
    days = page.evaluate("() => (JSON.parse(localStorage.getItem('tutor.token')).exp - Date.now()) / 86400000")
    assert 29.9 < days <= 30
    page.evaluate("t => localStorage.setItem('tutor.token', JSON.stringify({v: t, exp: Date.now() - 1000}))", secret)
    page.reload()
    assert page.evaluate("() => [T.token(), localStorage.getItem('tutor.token')]") == ["", None]
    # A code saved by the previous version (the bare secret) is kept, now with an expiry.
    page.evaluate("t => localStorage.setItem('tutor.token', t)", secret)
    page.reload()
    assert page.evaluate("() => T.token()") == secret
    assert "exp" in page.evaluate("() => JSON.parse(localStorage.getItem('tutor.token'))")
