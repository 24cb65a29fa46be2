"""`tutor learner`, `tutor token` and `tutor chat`: consent, secrets shown once and stored hashed, deletion,
and a REPL that keeps the conversation for follow-ups and ends cleanly on EOF."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.conftest import ROOT
from tutor.auth.policy import AuthenticationError, Role
from tutor.auth.tokens import TokenStore
from tutor.cli import app
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.learner.sessions import ChatSessions
from tutor.learner.store import LearnerStore
from tutor.llm.scripted import ScriptedChatModel

runner = CliRunner()


def _store(settings: Settings) -> LearnerStore:
    return LearnerStore(settings.learner_url)


def test_learner_create_refuses_without_consent_and_writes_nothing(built_env: Settings) -> None:
    r = runner.invoke(app, ["learner", "create", "--group", "nguoi-dan"])
    assert r.exit_code == 2 and "đồng ý" in r.output and "Traceback" not in r.output
    store = _store(built_env)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM learners")).scalar() == 0
    store.close()


def test_learner_create_with_a_token_prints_a_working_secret_once(built_env: Settings) -> None:
    r = runner.invoke(app, ["learner", "create", "--group", "hoc-sinh", "--consent", "--age-band", "15-24", "--token"])
    assert r.exit_code == 0, r.output
    fields = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    secret = fields["mã học viên (chỉ hiện một lần)"]
    store = _store(built_env)
    principal = TokenStore(store.engine).authenticate(secret)
    assert principal.role is Role.LEARNER and principal.learner_id == fields["id"]
    store.close()


def test_token_create_prints_only_the_secret_and_stores_its_hash(built_env: Settings) -> None:
    r = runner.invoke(app, ["token", "create", "--role", "trainer"])
    assert r.exit_code == 0, r.output
    secret = r.stdout.strip()
    assert secret.startswith("tutor_") and "\n" not in secret
    store = _store(built_env)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT token_hash, role FROM api_tokens")).all()
    assert rows == [(hashlib.sha256(secret.encode()).hexdigest(), "trainer")]
    listed = runner.invoke(app, ["token", "list"])
    assert listed.exit_code == 0 and secret not in listed.output and "trainer" in listed.output
    token_id = TokenStore(store.engine).find()[0].id
    assert runner.invoke(app, ["token", "revoke", token_id]).exit_code == 0
    with pytest.raises(AuthenticationError):
        TokenStore(store.engine).authenticate(secret)
    store.close()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--role", "learner"], "--learner"),
        (["--role", "admin"], "learner, trainer, operator"),
        (["--role", "operator", "--learner", "x"], "bỏ --learner"),
        (["--role", "learner", "--learner", "khong-co"], "khong-co"),
    ],
)
def test_token_create_refuses_nonsense_with_a_message(built_env: Settings, args: list[str], needle: str) -> None:
    r = runner.invoke(app, ["token", "create", *args])
    assert r.exit_code == 2 and needle in r.output and "Traceback" not in r.output


def test_learner_show_and_delete(built_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(ROOT / "corpus"))  # the real quiz bank
    store = _store(built_env)
    learner = store.create_learner("nguoi-dan", consent=True)
    TokenStore(store.engine).create("learner", learner.id)
    store.close()
    shown = runner.invoke(app, ["learner", "show", learner.id])
    assert shown.exit_code == 0, shown.output
    assert learner.pseudonym in shown.output and "Bài nên học tiếp" in shown.output
    deleted = runner.invoke(app, ["learner", "delete", learner.id, "--yes"])
    assert deleted.exit_code == 0 and "learners 1" in deleted.output and "api_tokens 1" in deleted.output
    again = runner.invoke(app, ["learner", "delete", learner.id, "--yes"])
    assert again.exit_code == 2 and "Không có học viên" in again.output
    cancelled = runner.invoke(app, ["learner", "delete", "x"], input="n\n")
    assert cancelled.exit_code == 1 and "không xóa" in cancelled.output


def _scripted(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> ScriptedChatModel:
    import tutor.wiring as wiring

    model = ScriptedChatModel("Không đọc mã OTP cho ai, kể cả người xưng là công an [1].")
    real = wiring.build_tutor
    monkeypatch.setattr(
        wiring,
        "build_tutor",
        lambda s, **kw: real(
            s.model_copy(update={"answer_mode": "generated"}), embedder=HashingEmbedder(), chat_model=model
        ),
    )
    return model


def test_chat_keeps_history_for_follow_ups_and_exits_on_eof(
    built_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _scripted(monkeypatch, built_env)
    r = runner.invoke(app, ["chat"], input="công an gọi đòi mã OTP\nthế lỡ đọc rồi thì sao?\n/moi\nbật wifi\n")
    assert r.exit_code == 0, r.output
    assert "Tạm biệt" in r.output and "Nguồn:" in r.output and "Traceback" not in r.output
    assert len(model.calls) == 3
    second = "\n".join(m.content for m in model.calls[1])
    third = "\n".join(m.content for m in model.calls[2])
    assert "công an gọi đòi mã OTP" in second  # the follow-up saw the first turn
    assert "công an gọi đòi mã OTP" not in third  # /moi started over


def test_chat_for_a_learner_saves_the_conversation(built_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted(monkeypatch, built_env)
    store = _store(built_env)
    learner = store.create_learner("nguoi-dan", consent=True)
    r = runner.invoke(app, ["chat", "--learner", learner.id], input="mã OTP là gì\n/thoat\n")
    assert r.exit_code == 0, r.output
    sessions = ChatSessions(store.engine)
    [summary] = sessions.summaries(learner.id)
    assert summary.n_turns == 2 and summary.title == "mã OTP là gì"
    store.close()
    unknown = runner.invoke(app, ["chat", "--learner", "khong-co"], input="")
    assert unknown.exit_code == 2 and "Không có học viên" in unknown.output
