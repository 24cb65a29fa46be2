"""The Ollama backend's wire details over real HTTP: request shape, tags, the pull hint, the tutor on it.

What every chat backend does (streaming, failures, timeouts, stopping early) is in tests/contracts/."""

from __future__ import annotations

import pytest

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import LLMUnavailableError
from tutor.llm.ollama import OllamaChatModel
from tutor.testing.ollama_wire import OllamaWireServer, WireState
from tutor.types import Message
from tutor.wiring import build_tutor

MODEL = "qwen2.5:7b-instruct"
ASK = [Message("system", "Bạn là trợ giảng."), Message("user", "Xin chào")]


@pytest.fixture
def wire():
    with OllamaWireServer(WireState(models=[MODEL], reply="Chào bạn, mình là trợ giảng kỹ năng số.")) as srv:
        yield srv


def test_sends_ollamas_request_shape_with_num_predict(wire: OllamaWireServer):
    list(OllamaChatModel(wire.url, MODEL, timeout=5).stream(ASK, max_tokens=64, temperature=0.1))
    sent = wire.state.requests[-1]
    assert sent["model"] == MODEL and sent["stream"] is True
    assert sent["messages"][0] == {"role": "system", "content": "Bạn là trợ giảng."}
    assert sent["options"]["num_predict"] == 64


def test_lists_models_from_api_tags(wire: OllamaWireServer):
    assert OllamaChatModel(wire.url, MODEL).models() == [MODEL]


def test_unknown_model_gives_a_pull_hint(wire: OllamaWireServer):
    with pytest.raises(LLMUnavailableError, match="ollama pull llama9"):
        list(OllamaChatModel(wire.url, "llama9").stream(ASK, max_tokens=8, temperature=0))


def test_tutor_on_ollama_answers_grounded_and_degrades_when_the_server_fails(built_settings: Settings):
    with OllamaWireServer(WireState(models=[MODEL])) as srv:
        s = built_settings.model_copy(
            update={"llm": "ollama", "ollama_host": srv.url, "ollama_model": MODEL, "answer_mode": "generated"}
        )
        tutor = build_tutor(s, embedder=HashingEmbedder())
        answer = tutor.answer("có người xưng công an đòi mã OTP")
        assert answer.model == f"ollama:{MODEL}" and not answer.degraded
        assert answer.citations[0].lesson_id == "an-toan-otp"
        srv.state.mode = "error500"
        degraded = tutor.answer("có người xưng công an đòi mã OTP")
        assert degraded.degraded and degraded.citations
        assert "500" in (degraded.notice or "")
