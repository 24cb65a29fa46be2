import unicodedata
from pathlib import Path

import pytest

from tutor.corpus.chunk import chunk_lesson
from tutor.corpus.load import corpus_hash, load_lessons, parse_lesson
from tutor.errors import CorpusError
from tutor.types import Group, Level


def test_lessons_load_with_front_matter_and_sections(corpus_dir: Path):
    lessons = {lesson.id: lesson for lesson in load_lessons(corpus_dir / "lessons")}
    vneid = lessons["vneid-muc-2"]
    assert vneid.domain == 2
    assert Group.NGUOI_DAN in vneid.groups and Level.CO_BAN in vneid.levels
    assert [s.id for s in vneid.sections] == ["co-ban", "trung-cap", "nang-cao", "cac-buoc", "luu-y-an-toan", "tu-kho"]
    steps = vneid.section("cac-buoc")
    assert steps is not None and "Kích hoạt tài khoản" in steps.text


def test_a_lesson_saved_as_nfd_loads_as_nfc(corpus_dir: Path):
    path = corpus_dir / "lessons" / "bat-wifi.md"
    path.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")), encoding="utf-8")
    lesson = parse_lesson(path)
    assert lesson.title == "Bật và kết nối Wi-Fi trên điện thoại"
    assert all(unicodedata.is_normalized("NFC", s.text) for s in lesson.sections)


def test_bad_front_matter_is_reported_with_file_and_line(corpus_dir: Path):
    path = corpus_dir / "lessons" / "bat-wifi.md"
    path.write_text(path.read_text(encoding="utf-8").replace("domain: 5", "domain: 9"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bat-wifi\.md:2:.*domain"):
        parse_lesson(path)


def test_unknown_competence_code_is_rejected(corpus_dir: Path):
    path = corpus_dir / "lessons" / "bat-wifi.md"
    path.write_text(path.read_text(encoding="utf-8").replace('["5.1"]', '["5.9"]'), encoding="utf-8")
    with pytest.raises(CorpusError, match="5.9"):
        parse_lesson(path)


def test_file_without_front_matter_is_an_error(tmp_path: Path):
    path = tmp_path / "x.md"
    path.write_text("# Tiêu đề\n\n## Cơ bản\nabc\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"x\.md:1"):
        parse_lesson(path)


def test_chunks_keep_lesson_and_section_ids_and_never_cut_a_sentence(corpus_dir: Path):
    lesson = parse_lesson(corpus_dir / "lessons" / "vneid-muc-2.md")
    chunks = chunk_lesson(lesson, max_chars=60)
    assert {c.lesson_id for c in chunks} == {"vneid-muc-2"}
    assert {c.section_id for c in chunks} == {s.id for s in lesson.sections}
    assert len({c.id for c in chunks}) == len(chunks)
    whole = "\n".join(s.text for s in lesson.sections)
    for c in chunks:
        for line in c.text.split("\n"):
            assert line in whole  # every piece is made of whole lines/sentences of the source
    level_chunk = next(c for c in chunks if c.section_id == "co-ban")
    assert level_chunk.levels == ("co-ban",)


def test_corpus_hash_changes_when_a_lesson_changes(corpus_dir: Path):
    paths = sorted((corpus_dir / "lessons").glob("*.md"))
    before = corpus_hash(paths)
    paths[0].write_text(paths[0].read_text(encoding="utf-8") + "\nthêm\n", encoding="utf-8")
    assert corpus_hash(paths) != before
