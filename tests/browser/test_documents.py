"""Citations of a trainer's ingested documents in a real Chromium: each one opens the document's page with the cited
section targeted, and the page says it is the trainer's own material."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.documents import QUESTIONS, documents_app, documents_settings
from tests.api.live import LiveServer
from tests.browser.conftest import PHONE
from tutor.corpus.documents import TRAINER_MATERIAL

pytestmark = pytest.mark.browser


def test_every_citation_of_an_ingested_document_opens_its_page_at_the_cited_section(
    browser: Any, tmp_path: Path, shot: Any
) -> None:
    app = documents_app(documents_settings(tmp_path))
    opened: set[str] = set()
    with LiveServer(app) as server:
        context = browser.new_context(viewport=PHONE, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        for question, title in QUESTIONS.items():
            page.goto(server.url + "/")
            page.get_by_label("Bạn muốn hỏi gì?").fill(question)
            page.get_by_role("button", name="Hỏi", exact=True).click()
            page.locator("a.citation").first.wait_for()
            links = page.locator("a.citation")
            hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
            assert len(hrefs) == len(set(hrefs)), f"a source listed twice for {question!r}: {hrefs}"
            documents = [h for h in hrefs if h.startswith("/lessons/doc-")]
            assert documents, f"no document cited for {question!r}: {hrefs}"
            for n, href in enumerate(documents):
                if n == 0:
                    page.locator(f'a.citation[href="{href}"]').click()  # as a learner does
                    page.wait_for_url(f"**{href}")
                else:
                    page.goto(server.url + href)
                section = href.split("#")[1]
                assert page.evaluate("() => document.querySelector(':target')?.id") == section
                assert page.locator(f"section#{section}").is_visible()
                assert page.locator("h1").inner_text() in {title, *QUESTIONS.values()}
                assert TRAINER_MATERIAL in page.locator("p.meta").inner_text()
                opened.add(href)
        shot(page, "document.png", full_page=False)
        context.close()
    assert len({h.split("#")[0] for h in opened}) == len(set(QUESTIONS.values()))


def test_the_trainer_preview_lists_document_passages_apart_and_marks_their_citations(
    browser: Any, tmp_path: Path
) -> None:
    app = documents_app(documents_settings(tmp_path))
    secret = app.state.services.tokens.create("trainer", None).secret
    with LiveServer(app) as server:
        context = browser.new_context(viewport=PHONE, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(server.url + "/preview")
        if not page.get_by_label("Dán mã").is_visible():
            page.locator("details.token summary").click()
        page.get_by_label("Dán mã").fill(secret)
        page.get_by_role("button", name="Lưu mã").click()
        page.get_by_label("Câu hỏi của học viên").fill("cài Hue-S thế nào")
        page.get_by_role("button", name="Xem thử").click()
        column = page.locator("section.level").first
        column.wait_for()
        summaries = column.locator("details summary").all_inner_texts()
        assert any("đoạn bài học" in s for s in summaries)
        assert any(TRAINER_MATERIAL.lower() in s for s in summaries), summaries
        assert TRAINER_MATERIAL in column.locator(".sources a").first.inner_text()
        context.close()
