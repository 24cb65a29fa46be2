"""`tutor ingest` as a trainer meets it: no lessons, a failure between storing and indexing, the re-run after it,
and the trainer's own title, level and group. Every failure is one Vietnamese line and a non-zero exit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import export_settings
from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.ingest import MANIFEST_NAME, ingest_paths, load_manifest, save_ingested, store_and_index
from tutor.errors import IndexMissingError

runner = CliRunner()

GUIDE = (
    "# Hướng dẫn cài ứng dụng Hue-S\n\n"
    "## Các bước\n"
    "Mở kho ứng dụng, tìm Hue-S của tỉnh Thừa Thiên Huế rồi bấm cài đặt. "
    "Đăng nhập bằng tài khoản định danh điện tử VNeID để phản ánh hiện trường.\n"
)
TAX = (
    "Nộp thuế đất phi nông nghiệp trên cổng thuế điện tử\n"
    "Đăng nhập cổng thuế bằng tài khoản định danh. Chọn mục nộp thuế đất phi nông nghiệp, "
    "kiểm tra số tiền rồi xác nhận.\n"
)


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return export_settings(monkeypatch, settings)


@pytest.fixture
def no_lessons(env: Settings) -> Settings:
    """A documents-only deployment: the lessons folder exists and is empty."""
    shutil.rmtree(env.lessons_dir)
    env.lessons_dir.mkdir()
    return env


def _doc(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "docs" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _one_line_failure(result) -> str:
    """The failure printed as exactly one line, with no traceback."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("Lỗi:")]
    assert len(errors) == 1, result.output
    return errors[0]


def _status(settings: Settings) -> str:
    return runner.invoke(app, ["index", "status"]).output


def test_ingest_into_a_tutor_without_lessons_indexes_the_document_and_answers_from_it(
    no_lessons: Settings, tmp_path: Path
):
    r = runner.invoke(app, ["ingest", str(_doc(tmp_path, "hue-s.md", GUIDE))])
    assert r.exit_code == 0, r.output
    assert "1 tệp đã nạp" in r.output
    assert "fresh" in _status(no_lessons)
    answer = runner.invoke(app, ["ask", "cai ung dung Hue-S the nao", "--json"])
    assert answer.exit_code == 0, answer.output
    [citation] = json.loads(answer.stdout)["citations"]
    assert citation["lesson_id"].startswith("doc-") and citation["lesson_title"] == "Hướng dẫn cài ứng dụng Hue-S"


def test_building_with_neither_lessons_nor_documents_says_what_to_add(no_lessons: Settings):
    r = runner.invoke(app, ["index", "build"])
    assert r.exit_code == 3
    assert "tutor ingest" in _one_line_failure(r)


def test_a_failure_between_storing_and_indexing_stores_nothing_and_the_rerun_does_the_whole_job(
    no_lessons: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = _doc(tmp_path, "hue-s.md", GUIDE)

    def broken_build(*args: object, **kwargs: object) -> None:
        # The document is already stored when the index build starts: this is the half-way point.
        assert load_manifest(no_lessons.ingested_dir), "the document should be stored before indexing"
        raise MemoryError("no room to embed")

    import tutor.index.build

    real_build = tutor.index.build.build_index
    monkeypatch.setattr(tutor.index.build, "build_index", broken_build)
    r = runner.invoke(app, ["ingest", str(path)])
    assert r.exit_code == 1
    line = _one_line_failure(r)
    assert "MemoryError" in line and "Chưa nạp tài liệu nào" in line
    assert load_manifest(no_lessons.ingested_dir) == []
    assert not list(no_lessons.ingested_dir.glob("doc-*.jsonl"))
    assert "missing" in _status(no_lessons)

    monkeypatch.setattr(tutor.index.build, "build_index", real_build)
    again = runner.invoke(app, ["ingest", str(path)])
    assert again.exit_code == 0, again.output
    assert "1 tệp đã nạp" in again.output and "fresh" in _status(no_lessons)


def test_a_tutor_error_while_indexing_keeps_its_exit_code_and_message(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    runner.invoke(app, ["index", "build"])
    before = _status(env)
    import tutor.index.build

    def missing(*args: object, **kwargs: object) -> None:
        raise IndexMissingError("Thư mục chỉ mục không ghi được.")

    monkeypatch.setattr(tutor.index.build, "build_index", missing)
    r = runner.invoke(app, ["ingest", str(_doc(tmp_path, "thue.txt", TAX))])
    assert r.exit_code == 3
    assert "không ghi được" in _one_line_failure(r)
    assert _status(env) == before and load_manifest(env.ingested_dir) == []


def test_a_run_stopped_after_storing_is_finished_by_the_next_run_not_skipped_as_a_duplicate(
    env: Settings, tmp_path: Path
):
    runner.invoke(app, ["index", "build"])
    path = _doc(tmp_path, "thue.txt", TAX)
    # --no-rebuild leaves the state a run killed after storing would: stored, not indexed.
    stored = runner.invoke(app, ["ingest", "--no-rebuild", str(path)])
    assert stored.exit_code == 0 and "stale" in _status(env)

    r = runner.invoke(app, ["ingest", str(path)])
    assert r.exit_code == 0, r.output
    assert "đã có sẵn" in r.output and "fresh" in _status(env)
    answer = runner.invoke(app, ["ask", "nop thue dat phi nong nghiep", "--json"])
    assert json.loads(answer.stdout)["citations"][0]["lesson_id"].startswith("doc-")


def test_the_trainer_sets_title_level_and_group_and_a_second_run_with_another_title_renames(
    env: Settings, tmp_path: Path
):
    path = _doc(tmp_path, "thue.txt", TAX)
    r = runner.invoke(
        app, ["ingest", str(path), "--title", "Thuế đất 2025", "--level", "co-ban", "--group", "nguoi-dan"]
    )
    assert r.exit_code == 0, r.output
    [doc] = load_manifest(env.ingested_dir)
    assert (doc.title, doc.levels, doc.groups) == ("Thuế đất 2025", ("co-ban",), ("nguoi-dan",))

    renamed = runner.invoke(app, ["ingest", str(path), "--title", "Nộp thuế đất"])
    assert renamed.exit_code == 0 and "1 tệp đã nạp" in renamed.output
    [doc] = load_manifest(env.ingested_dir)
    assert doc.title == "Nộp thuế đất" and doc.levels == ()


def test_title_for_several_files_and_an_unknown_level_are_refused_with_nothing_stored(env: Settings, tmp_path: Path):
    _doc(tmp_path, "thue.txt", TAX)
    _doc(tmp_path, "hue-s.md", GUIDE)
    r = runner.invoke(app, ["ingest", str(tmp_path / "docs"), "--title", "Một tên"])
    assert r.exit_code == 2
    assert "--title" in _one_line_failure(r)
    bad = runner.invoke(app, ["ingest", str(tmp_path / "docs"), "--level", "gioi"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert load_manifest(env.ingested_dir) == []


def test_ingesting_paths_that_do_not_exist_names_them_in_one_vietnamese_line_with_nothing_stored(
    env: Settings, tmp_path: Path
):
    r = runner.invoke(app, ["ingest", str(tmp_path / "khong-co.md")])
    assert r.exit_code == 3
    line = _one_line_failure(r)
    assert "khong-co.md" in line and "Kiểm tra lại đường dẫn" in line
    assert load_manifest(env.ingested_dir) == []


def test_store_and_index_puts_the_previous_manifest_back_when_indexing_fails(tmp_path: Path):
    first = _doc(tmp_path, "thue.txt", TAX)
    directory = tmp_path / "ingested"
    save_ingested(ingest_paths([first]), directory)
    before = (directory / MANIFEST_NAME).read_bytes()
    files_before = sorted(p.name for p in directory.glob("doc-*.jsonl"))
    # Replacing the same document (other chunking) and adding a new one, then failing to index.
    replaced = ingest_paths([first, _doc(tmp_path, "hue-s.md", GUIDE)], max_chars=60, overlap_sentences=0)

    def fail() -> None:
        raise RuntimeError("index build failed")

    with pytest.raises(RuntimeError):
        store_and_index(replaced, directory, fail)
    assert (directory / MANIFEST_NAME).read_bytes() == before
    assert sorted(p.name for p in directory.glob("doc-*.jsonl")) == files_before

    assert store_and_index(replaced, directory, lambda: "built") == "built"
    assert len(load_manifest(directory)) == 2
    assert len(list(directory.glob("doc-*.jsonl"))) == 2  # the replaced document's old chunks are gone
