"""The command line speaks Vietnamese (TUTOR_LANG=en gives developers the framework's English back), prints whole
token ids whatever the terminal width, revokes by a unique prefix, and starts without loading the heavy layers."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.conftest import ROOT
from tutor.auth.tokens import TokenStore
from tutor.cli import app
from tutor.cli.i18n import translate
from tutor.config import Settings
from tutor.learner.store import LearnerStore

runner = CliRunner()
ENGLISH = ("Usage:", "Options", "Show this message", "Missing argument", "Invalid value", "Try '", "Error")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COLUMNS": "60", **(env or {})}
    command = [sys.executable, "-m", "tutor.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=full, cwd=ROOT)


def test_help_and_usage_errors_are_in_vietnamese() -> None:
    helped = runner.invoke(app, ["--help"])
    assert helped.exit_code == 0 and "Cách dùng" in helped.output and "Tùy chọn" in helped.output
    assert "Hiện hướng dẫn này rồi thoát." in helped.output
    missing = runner.invoke(app, ["token", "revoke"])
    assert missing.exit_code == 2 and "Thiếu tham số" in missing.output
    wrong = runner.invoke(app, ["ask", "--level", "gioi", "câu hỏi"])
    assert "Giá trị không hợp lệ" in wrong.output and "không nằm trong" in wrong.output
    typo = runner.invoke(app, ["tokn"])
    assert "Không có lệnh 'tokn'. Có phải ý bạn là 'token'?" in typo.output
    for out in (helped.output, missing.output, wrong.output, typo.output):
        assert not [w for w in ENGLISH if w in out], out


def test_a_developer_may_ask_for_the_frameworks_english() -> None:
    english = _cli("token", "revoke", env={"TUTOR_LANG": "en"})
    assert "Missing argument" in english.stderr and "Usage:" in english.stderr
    vietnamese = _cli("token", "revoke")
    assert "Thiếu tham số" in vietnamese.stderr and "Cách dùng:" in vietnamese.stderr


def test_eval_report_without_a_run_says_what_to_do_in_vietnamese() -> None:
    r = runner.invoke(app, ["eval", "report"])
    assert r.exit_code == 2 and "cần cho biết lần chạy" in r.output and "tutor eval run" in r.output
    assert "Missing" not in r.output


def test_translate_leaves_what_it_does_not_know() -> None:
    assert translate("Missing option '--role'.") == "Thiếu tùy chọn '--role'."
    assert translate("Đã xong.") == "Đã xong."


def test_token_list_prints_whole_ids_on_a_narrow_terminal_and_revoke_takes_a_prefix(built_env: Settings) -> None:
    store = LearnerStore(built_env.learner_url)
    tokens = TokenStore(store.engine)
    learner = store.create_learner("nguoi-dan", True)
    ids = [tokens.create("learner", learner.id).info.id for _ in range(3)]
    listed = _cli("token", "list", env={"TUTOR_DATA_DIR": str(built_env.data_dir)})
    assert listed.returncode == 0, listed.stderr
    for token_id in ids:
        assert token_id in listed.stdout  # never cut at 60 columns
    assert learner.id in listed.stdout
    revoked = runner.invoke(app, ["token", "revoke", ids[0][:6]])
    assert revoked.exit_code == 0 and ids[0] in revoked.output
    assert tokens.find()[0].revoked_at is not None
    store.close()


@pytest.mark.parametrize(("prefix", "needle"), [("ab", "ít nhất 4"), ("xyz!", "chữ số"), ("0000", "Không có mã")])
def test_revoke_refuses_a_prefix_it_cannot_resolve(built_env: Settings, prefix: str, needle: str) -> None:
    r = runner.invoke(app, ["token", "revoke", prefix])
    assert r.exit_code == 2 and needle in r.output


def test_an_ambiguous_prefix_lists_the_candidates(built_env: Settings) -> None:
    store = LearnerStore(built_env.learner_url)
    with store.engine.begin() as conn:
        for token_id in ("abcd000000000001", "abcd000000000002"):
            conn.execute(
                text("INSERT INTO api_tokens (id, token_hash, role, created_at) VALUES (:i, :h, 'trainer', :t)"),
                {"i": token_id, "h": token_id * 4, "t": dt.datetime.now(dt.UTC)},
            )
    store.close()
    r = runner.invoke(app, ["token", "revoke", "abcd"])
    assert r.exit_code == 2 and "Nhiều mã" in r.output and "abcd000000000002" in r.output
    assert runner.invoke(app, ["token", "revoke", "abcd0000000000012"[:16]]).exit_code == 0


def test_the_command_line_starts_without_the_database_models_or_web_layers() -> None:
    code = (
        "import sys, tutor.cli; heavy = ('sqlalchemy', 'alembic', 'pydantic_settings', 'numpy', 'fastapi', "
        "'faiss', 'llama_cpp', 'scipy'); print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.stdout.strip() == "[]"
