"""Ingested documents as first-class sources: their pages, their titles, one citation per source, and the
phrases the scope gate can take as in-scope examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.documents import QUESTIONS, SENTENCES, documents_app, documents_settings
from tutor.corpus.documents import TRAINER_MATERIAL, document_phrases, join_overlapping, load_document_pages
from tutor.corpus.ingest import ingest_paths
from tutor.embed.hashing import HashingEmbedder
from tutor.wiring import build_retriever


@pytest.fixture(scope="module")
def doc_settings(tmp_path_factory: pytest.TempPathFactory):
    return documents_settings(tmp_path_factory.mktemp("documents"))


@pytest.fixture(scope="module")
def client(doc_settings) -> TestClient:
    with TestClient(documents_app(doc_settings)) as c:
        yield c


@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_overlapping_chunks_join_back_into_the_section_they_were_cut_from(tmp_path: Path, overlap: int):
    path = tmp_path / "dai.txt"
    path.write_text(" ".join(SENTENCES), encoding="utf-8")
    report = ingest_paths([path], max_chars=300, overlap_sentences=overlap)
    assert len(report.chunks) > 3
    assert join_overlapping([c.text for c in report.chunks]).split("\n") == SENTENCES


def test_document_pages_carry_their_own_title_sections_and_only_the_file_name(doc_settings):
    pages = load_document_pages(doc_settings.ingested_dir)
    titles = sorted(p.title for p in pages.values())
    assert titles == sorted(set(QUESTIONS.values()))  # front matter, first line, <title>: never "p150"
    permit = next(p for p in pages.values() if p.title.startswith("Cấp giấy phép"))
    assert permit.trainer_material and permit.sources == ("p150.txt",)
    [section] = permit.sections
    assert section.text.split("\n")[-len(SENTENCES) :] == SENTENCES


def test_document_phrases_are_titles_and_real_headings(doc_settings, tmp_path: Path):
    phrases = document_phrases(doc_settings.ingested_dir)
    assert "Cẩm nang Hue-S cho người dân" in phrases and "Phản ánh hiện trường" in phrases
    assert "Nội dung" not in phrases and len(phrases) == len(set(phrases))
    assert document_phrases(tmp_path / "nothing-ingested") == []


def test_two_chunks_of_one_section_come_back_as_one_hit(doc_settings):
    retriever = build_retriever(doc_settings, HashingEmbedder())
    hits = retriever.retrieve("kiểm tra mục trong hồ sơ bản vẽ thiết kế giấy phép xây dựng", 4)
    sections = [(h.chunk.lesson_id, h.chunk.section_id) for h in hits]
    assert len(sections) == len(set(sections))
    permit = [h for h in hits if h.chunk.lesson_title.startswith("Cấp giấy phép")]
    assert len(permit) == 1 and len(permit[0].chunk.text) > 800  # more than one chunk's text


def test_every_citation_of_a_document_opens_its_page_at_the_cited_section(client: TestClient):
    for question, title in QUESTIONS.items():
        answer = client.post("/api/chat", json={"question": question}).json()
        urls = [c["url"] for c in answer["citations"]]
        assert len(urls) == len(set(urls)), f"a source cited twice for {question!r}: {urls}"
        documents = [c for c in answer["citations"] if c["trainer_material"]]
        assert documents and documents[0]["lesson_title"] == title, answer["citations"]
        for citation in documents:
            path, section = citation["url"].split("#")
            page = client.get(path)
            assert page.status_code == 200, citation["url"]
            assert f'id="{section}"' in page.text and TRAINER_MATERIAL in page.text
            assert client.get(f"/api/lessons/{citation['lesson_id']}").status_code == 200


def test_the_lessons_page_lists_documents_apart_from_the_vetted_lessons(client: TestClient):
    html = client.get("/lessons").text
    lessons_part, _, documents_part = html.partition(f">{TRAINER_MATERIAL}</h2>")
    assert documents_part, "no section for the trainer's documents"
    for title in set(QUESTIONS.values()):
        assert title in documents_part and title not in lessons_part
    assert re.search(r'href="/lessons/doc-[0-9a-f]{12}"', documents_part)
    assert "doc-" not in lessons_part
