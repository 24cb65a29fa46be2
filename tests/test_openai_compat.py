"""The OpenAI-compatible backend's wire details over real HTTP: request shape, API key, models, pool, messages.

What every chat backend does (streaming, failures, timeouts, stopping early) is in tests/contracts/."""

from __future__ import annotations

import pytest

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import ConfigError, LLMUnavailableError
from tutor.llm.openai_compat import OpenAICompatChatModel
from tutor.llm.pool import EndpointPool
from tutor.llm.resilience import ResilientChatModel
from tutor.testing.openai_wire import OpenAIWireServer, WireState
from tutor.testing.service import free_port
from tutor.types import Message
from tutor.wiring import build_chat_model, build_tutor

MODEL = "qwen2.5-7b-instruct"
REPLY = "Chào bạn, mình là trợ giảng kỹ năng số."
ASK = [Message("system", "Bạn là trợ giảng."), Message("user", "Xin chào")]


@pytest.fixture
def wire():
    with OpenAIWireServer(WireState(models=[MODEL], reply=REPLY)) as srv:
        yield srv


def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


def test_sends_the_openai_request_shape_without_a_key_unless_given(wire: OpenAIWireServer):
    list(OpenAICompatChatModel(wire.url, MODEL, timeout=5).stream(ASK, max_tokens=64, temperature=0.1))
    sent = wire.state.requests[-1]
    assert sent["model"] == MODEL and sent["stream"] is True
    assert sent["messages"] == [
        {"role": "system", "content": "Bạn là trợ giảng."},
        {"role": "user", "content": "Xin chào"},
    ]
    assert sent["max_tokens"] == 64 and sent["temperature"] == 0.1
    assert "authorization" not in wire.state.headers[-1]


def test_api_key_is_sent_as_bearer_token(wire: OpenAIWireServer):
    wire.state.api_key = "k-123"
    model = OpenAICompatChatModel(wire.url, MODEL, api_key="k-123", timeout=5)
    assert "".join(model.stream(ASK, max_tokens=8, temperature=0)) == REPLY
    assert wire.state.headers[-1]["authorization"] == "Bearer k-123"


def test_lists_models_from_v1_models(wire: OpenAIWireServer):
    assert OpenAICompatChatModel(wire.url, MODEL).models() == [MODEL]


def test_missing_or_wrong_key_is_unavailable_and_never_echoes_the_key(wire: OpenAIWireServer):
    wire.state.api_key = "right-key"
    with pytest.raises(LLMUnavailableError, match="TUTOR_OPENAI_API_KEY") as no_key:
        list(OpenAICompatChatModel(wire.url, MODEL).stream(ASK, max_tokens=8, temperature=0))
    assert "401" in str(no_key.value)
    with pytest.raises(LLMUnavailableError, match="401") as wrong:
        OpenAICompatChatModel(wire.url, MODEL, api_key="wrong-key").models()
    assert "wrong-key" not in str(wrong.value) and "right-key" not in str(wrong.value)


def test_unknown_model_names_the_setting_and_the_models_endpoint(wire: OpenAIWireServer):
    with pytest.raises(LLMUnavailableError, match="TUTOR_OPENAI_MODEL") as err:
        list(OpenAICompatChatModel(wire.url, "llama9").stream(ASK, max_tokens=8, temperature=0))
    assert "llama9" in str(err.value) and "404" in str(err.value) and f"{wire.url}/models" in str(err.value)


def test_server_error_message_carries_the_servers_own_words(wire: OpenAIWireServer):
    wire.state.mode = "error500"
    with pytest.raises(LLMUnavailableError, match="out of memory"):
        list(OpenAICompatChatModel(wire.url, MODEL).stream(ASK, max_tokens=8, temperature=0))


def test_nothing_listening_names_the_setting_to_fix_for_answers_and_model_lists():
    url = _dead_url()
    with pytest.raises(LLMUnavailableError, match="TUTOR_OPENAI_BASE_URL"):
        list(OpenAICompatChatModel(url, MODEL, timeout=2).stream(ASK, max_tokens=8, temperature=0))
    with pytest.raises(LLMUnavailableError, match="127.0.0.1"):
        OpenAICompatChatModel(url, MODEL, timeout=2).models()


def test_pool_fails_over_to_the_next_url_when_the_first_refuses(wire: OpenAIWireServer):
    dead = _dead_url()
    model = OpenAICompatChatModel(f"{dead}, {wire.url}/", MODEL, timeout=5)
    assert model.base_urls == [dead, wire.url]
    # Whichever URL the round-robin starts at, every call ends on the live server.
    for _ in range(3):
        assert "".join(model.stream(ASK, max_tokens=8, temperature=0)) == REPLY
    assert len(wire.state.requests) == 3
    assert model.models() == [MODEL]


def test_pool_round_robins_between_live_servers(wire: OpenAIWireServer):
    with OpenAIWireServer(WireState(models=[MODEL], reply=REPLY)) as other:
        model = OpenAICompatChatModel([wire.url, other.url], MODEL, timeout=5)
        for _ in range(4):
            list(model.stream(ASK, max_tokens=8, temperature=0))
        assert len(wire.state.requests) == 2 and len(other.state.requests) == 2


def test_pool_whose_every_server_refuses_lists_them_all():
    dead = [_dead_url(), _dead_url()]
    with pytest.raises(LLMUnavailableError) as err:
        list(OpenAICompatChatModel(dead, MODEL, timeout=2).stream(ASK, max_tokens=8, temperature=0))
    assert all(url in str(err.value) for url in dead)


def test_an_empty_base_url_is_a_config_error():
    with pytest.raises(ConfigError, match="TUTOR_OPENAI_BASE_URL"):
        OpenAICompatChatModel(" , ", MODEL)


def test_wiring_builds_the_backend_from_settings(settings: Settings):
    s = settings.model_copy(update={"llm": "openai", "openai_base_url": "http://a:1/v1,http://b:2/v1"})
    model = build_chat_model(s)
    assert isinstance(model, ResilientChatModel) and isinstance(model.inner, EndpointPool)
    assert model.id == f"openai:{MODEL}" and [e.name for e in model.inner.endpoints] == [
        "http://a:1/v1",
        "http://b:2/v1",
    ]
    assert all(isinstance(e.model, OpenAICompatChatModel) for e in model.inner.endpoints)
    assert model.gate.limit == 8  # a server batches: four answers at once by default, from each of the two


def test_tutor_on_openai_answers_grounded_and_degrades_when_the_server_fails(built_settings: Settings):
    with OpenAIWireServer(WireState(models=[MODEL], api_key="k")) as srv:
        s = built_settings.model_copy(
            update={
                "llm": "openai",
                "openai_base_url": srv.url,
                "openai_model": MODEL,
                "openai_api_key": "k",
                "answer_mode": "generated",
            }
        )
        tutor = build_tutor(s, embedder=HashingEmbedder())
        answer = tutor.answer("có người xưng công an đòi mã OTP")
        assert answer.model == f"openai:{MODEL}" and not answer.degraded
        assert answer.citations[0].lesson_id == "an-toan-otp"
        srv.state.mode = "error500"
        degraded = tutor.answer("có người xưng công an đòi mã OTP")
        assert degraded.degraded and degraded.citations
        assert "500" in (degraded.notice or "")
