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
