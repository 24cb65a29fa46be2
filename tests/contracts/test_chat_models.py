"""Every ChatModel backend through the one contract: scripted, Ollama and OpenAI over real HTTP, embedded llama.cpp."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.contracts.chat_model import (
    ASK,
    COUNTED,
    HTTP,
    MIDWAY,
    SCRIPT,
    TIMEOUT,
    ChatModelContract,
    WireChatModelContract,
)
from tutor.llm.gguf import QWEN_05B, assemble
from tutor.llm.ollama import OllamaChatModel
from tutor.llm.openai_compat import OpenAICompatChatModel
from tutor.llm.scripted import ScriptedChatModel
from tutor.protocols import ChatModel
from tutor.testing import ollama_wire, openai_wire
from tutor.types import Message


class TestScriptedChatModel(ChatModelContract):
    expected_id = "scripted"
    reply = SCRIPT + " "  # word by word, each word with the space after it
    lacks = {
        HTTP: "it talks to no server",
        TIMEOUT: "it never waits; ResilientChatModel bounds a slow backend (tests/test_resilience.py)",
    }

    @pytest.fixture
    def chat_model(self) -> ScriptedChatModel:
        return ScriptedChatModel(SCRIPT)

    @pytest.fixture
    def served(self, chat_model: ScriptedChatModel) -> Callable[[], int]:
        return lambda: len(chat_model.calls)

    @pytest.fixture
    def failing_stream(self) -> Iterator[str]:
        return ScriptedChatModel(SCRIPT, fail_after=0).stream(ASK, max_tokens=self.max_tokens, temperature=0)

    @pytest.fixture
    def midway_failing_stream(self) -> Iterator[str]:
        return ScriptedChatModel(SCRIPT, fail_after=2).stream(ASK, max_tokens=self.max_tokens, temperature=0)


class TestOllamaChatModel(WireChatModelContract):
    server = ollama_wire.OllamaWireServer
    model_name = "qwen2.5:7b-instruct"
    id_prefix = "ollama"
    backend = OllamaChatModel


class TestOpenAICompatChatModel(WireChatModelContract):
    server = openai_wire.OpenAIWireServer
    model_name = "qwen2.5-7b-instruct"
    id_prefix = "openai"
    backend = OpenAICompatChatModel


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> ChatModel:
    """The embedded model, assembled from its PyPI parts as `tutor` does it, loaded once for the module."""
    pytest.importorskip("llama_cpp", reason="embedded extra not installed")
    from tutor.llm.llamacpp import LlamaCppChatModel

    return LlamaCppChatModel(assemble(QWEN_05B, tmp_path_factory.mktemp("models")), threads=2)


@pytest.mark.slow
@pytest.mark.llm
class TestLlamaCppChatModel(ChatModelContract):
    expected_id = f"llamacpp:{Path(QWEN_05B.filename).stem}"
    reply = None
    max_tokens = 8
    lacks = {
        HTTP: "it runs in this process, with no server between",
        TIMEOUT: "a native decoding step cannot be interrupted; ResilientChatModel bounds it (test_resilience.py)",
        MIDWAY: "nothing makes llama.cpp fail once it has started decoding",
        COUNTED: "llama.cpp keeps no count of the prompts it evaluated",
    }

    @pytest.fixture
    def chat_model(self, llama: ChatModel) -> ChatModel:
        return llama

    @pytest.fixture
    def failing_stream(self, llama: ChatModel) -> Iterator[str]:
        # A prompt longer than the context window: llama.cpp refuses it before decoding anything.
        return llama.stream([Message("user", "từ " * 6000)], max_tokens=self.max_tokens, temperature=0)
