"""axe-core on every page, on a phone and a desktop: 0 critical and 0 serious violations; the font-size switch and
keyboard use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Site

pytestmark = pytest.mark.browser

PAGES = ["/", "/lessons", "/lessons/an-toan-ma-otp", "/placement", "/progress", "/final-test", "/preview"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "learner"])
def test_every_page_passes_axe(open_page: Any, site: Site, axe: Any, viewport: dict[str, int], signed_in: bool) -> None:
    secret = site.learner(display_name="Cô Hoa")[1] if signed_in else None
    page = open_page(viewport, PAGES[0], secret)
    for path in PAGES:
        if path != PAGES[0]:
            page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
        axe(page, f"{path} ({'learner' if signed_in else 'anonymous'})")
        if viewport is PHONE:
            page.get_by_role("button", name="☰ Menu").click()  # the open menu too
            axe(page, f"{path}, menu open")


def test_the_size_buttons_say_what_they_show(open_page: Any, site: Site) -> None:
    page = open_page(DESKTOP, "/")
    names = page.evaluate("() => [...document.querySelectorAll('[data-fs]')].map(b => b.textContent)")
    assert names == ["A chữ thường", "A+ chữ to", "A++ chữ rất to"]  # the visible text starts the accessible name


def test_font_size_switch_persists_and_the_page_works_from_the_keyboard(open_page: Any, site: Site) -> None:
    page = open_page(PHONE, "/")
    page.get_by_role("button", name="☰ Menu").click()
    page.get_by_role("button", name="A++ chữ rất to").click()
    size = "() => getComputedStyle(document.documentElement).fontSize"
    assert page.evaluate(size) == "26px"
    page.reload()
    assert page.evaluate(size) == "26px"
    assert page.locator("[data-fs='26']").get_attribute("aria-pressed") == "true"
    # At the largest size the question box is still on the first screen.
    box = page.locator("#q").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.type("mã OTP là gì")
    page.keyboard.press("Control+Enter")
    page.locator("a.citation").first.wait_for()
    assert page.evaluate("() => document.activeElement.id") == "q"  # focus returns to the question box
