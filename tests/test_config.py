"""A wrong setting is one Vietnamese sentence naming the variable and what it takes: exit 2 on the command line,
503 JSON from a worker, never a traceback."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tutor.answering.tutor import AnswerMode
from tutor.cli import app as cli
from tutor.config import ANSWER_MODES, EMBEDDERS, LLMS, POOLS, TTS_ENGINES, load_settings
from tutor.errors import ConfigError

runner = CliRunner()


@pytest.mark.parametrize(
    ("variable", "allowed"),
    [
        ("TUTOR_LLM", LLMS),
        ("TUTOR_EMBEDDER", EMBEDDERS),
        ("TUTOR_ANSWER_MODE", ANSWER_MODES),
        ("TUTOR_LLM_POOL", POOLS),
        ("TUTOR_TTS", TTS_ENGINES),
    ],
)
def test_an_unknown_backend_stops_the_command_with_the_allowed_values_in_vietnamese(
    variable: str, allowed: tuple[str, ...]
) -> None:
    r = runner.invoke(cli, ["ask", "bật wifi"], env={variable: "gpt-9"})
    assert r.exit_code == 2, r.output
    assert "Cấu hình sai" in r.output and variable in r.output and "'gpt-9'" in r.output
    assert all(name in r.output for name in allowed)
    assert "Traceback" not in r.output and "Input should" not in r.output


def test_the_choices_the_settings_accept_are_the_ones_the_code_knows() -> None:
    from tutor.llm.pool import POLICIES

    assert set(ANSWER_MODES) == {m.value for m in AnswerMode}
    assert set(POOLS) == set(POLICIES)


def test_every_wrong_setting_is_named_by_its_variable_even_through_an_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_WORKERS", "0")
    monkeypatch.setenv("TUTOR_FRAME_ANCESTORS", "'self';script-src")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "TUTOR_WORKERS" in message and "TUTOR_TUTOR_" not in message and "phải từ 1 trở lên" in message
    assert "TUTOR_FRAME_ANCESTORS" in message and "'none', 'self'" in message  # our validator's own words


def test_a_worker_with_an_unknown_llm_answers_503_json_saying_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.api.asgi import app

    monkeypatch.setenv("TUTOR_LLM", "gpt-9")
    with TestClient(app()) as client:
        for method, path in (("GET", "/healthz"), ("POST", "/api/chat"), ("GET", "/")):
            r = client.request(method, path, json={"question": "bật wifi"})
            assert r.status_code == 503, path
            body = r.json()
            assert body["error"] == "ConfigError" and "TUTOR_LLM" in body["message"]
            assert all(name in body["message"] for name in LLMS)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
