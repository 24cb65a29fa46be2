"""The Ollama backend over real HTTP against a wire-compatible server: stream, tags, and every failure."""

from __future__ import annotations

import pytest

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import LLMUnavailableError
from tutor.llm.ollama import OllamaChatModel
from tutor.testing.ollama_wire import OllamaWireServer, WireState
from tutor.testing.service import free_port
from tutor.types import Message
from tutor.wiring import build_tutor

MODEL = "qwen2.5:7b-instruct"
ASK = [Message("system", "Bạn là trợ giảng."), Message("user", "Xin chào")]


@pytest.fixture
def wire():
    with OllamaWireServer(WireState(models=[MODEL], reply="Chào bạn, mình là trợ giảng kỹ năng số.")) as srv:
        yield srv


def test_streams_ndjson_pieces_in_order(wire: OllamaWireServer):
    model = OllamaChatModel(wire.url, MODEL, timeout=5)
    pieces = list(model.stream(ASK, max_tokens=64, temperature=0.1))
    assert len(pieces) > 3
    assert "".join(pieces) == "Chào bạn, mình là trợ giảng kỹ năng số."
    sent = wire.state.requests[-1]
    assert sent["model"] == MODEL and sent["stream"] is True
    assert sent["messages"][0] == {"role": "system", "content": "Bạn là trợ giảng."}
    assert sent["options"]["num_predict"] == 64


def test_lists_models_from_api_tags(wire: OllamaWireServer):
    assert OllamaChatModel(wire.url, MODEL).models() == [MODEL]


def test_unknown_model_gives_a_pull_hint(wire: OllamaWireServer):
    with pytest.raises(LLMUnavailableError, match="ollama pull llama9"):
        list(OllamaChatModel(wire.url, "llama9").stream(ASK, max_tokens=8, temperature=0))


def test_server_error_500_is_unavailable(wire: OllamaWireServer):
    wire.state.mode = "error500"
    with pytest.raises(LLMUnavailableError, match="500"):
        list(OllamaChatModel(wire.url, MODEL).stream(ASK, max_tokens=8, temperature=0))


def test_slow_reply_times_out(wire: OllamaWireServer):
    wire.state.mode, wire.state.delay = "slow", 3.0
    with pytest.raises(LLMUnavailableError, match="chậm"):
        list(OllamaChatModel(wire.url, MODEL, timeout=0.5).stream(ASK, max_tokens=8, temperature=0))


def test_dropped_connection_mid_stream_is_unavailable_after_partial_output(wire: OllamaWireServer):
    wire.state.mode = "drop"
    got: list[str] = []
    with pytest.raises(LLMUnavailableError):
        for piece in OllamaChatModel(wire.url, MODEL, timeout=5).stream(ASK, max_tokens=64, temperature=0):
            got.append(piece)
    assert 0 < len(got) < 8


def test_truncated_json_line_is_unavailable(wire: OllamaWireServer):
    wire.state.mode = "garbage"
    with pytest.raises(LLMUnavailableError):
        list(OllamaChatModel(wire.url, MODEL, timeout=5).stream(ASK, max_tokens=64, temperature=0))


def test_nothing_listening_is_unavailable_with_the_host_in_the_message():
    host = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LLMUnavailableError, match="127.0.0.1"):
        list(OllamaChatModel(host, MODEL, timeout=2).stream(ASK, max_tokens=8, temperature=0))


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
