"""The ChatModel contract: what every chat backend does, as base classes that each backend's tests subclass.

A subclass only builds its backend (the `chat_model`, `served`, `failing_stream` fixtures) and names what it lacks;
`WireChatModelContract` builds those from a wire-compatible server, for backends that talk HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.contracts.capabilities import Capabilities, assert_tells_the_user
from tutor.errors import LLMUnavailableError
from tutor.llm.resilience import ResilientChatModel
from tutor.protocols import ChatModel
from tutor.testing.service import free_port
from tutor.testing.wire_server import WireServer
from tutor.types import Message

#: What the scripted model and the wire servers answer, so a test can compare the joined pieces with it.
SCRIPT = "Chào bạn, mình là trợ giảng kỹ năng số."

ASK = [Message("system", "Bạn là trợ giảng."), Message("user", "Xin chào")]

# Capabilities a backend may lack (see Capabilities.lacks).
HTTP = "HTTP failures"
TIMEOUT = "its own read timeout"
MIDWAY = "a failure after the first piece"
COUNTED = "counting the requests it served"


def open_connections(port: int) -> int:
    """Established IPv4 connections from this process's machine to `port` (the client side of a loopback server)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    established = "01"
    return sum(1 for line in lines if int(line.split()[2].split(":")[1], 16) == port and line.split()[3] == established)


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def dead_url(url: str) -> str:
    """`url` on a port nobody listens on."""
    return urlunsplit(urlsplit(url)._replace(netloc=f"127.0.0.1:{free_port()}"))


class ChatModelContract(Capabilities):
    #: The id the backend reports for the model the fixture builds.
    expected_id: ClassVar[str]
    #: What the backend answers ASK with; None when a real model writes its own words.
    reply: ClassVar[str | None]
    #: Enough for the whole scripted reply; a real model is held to a few tokens to keep the suite fast.
    max_tokens: ClassVar[int] = 64

    @pytest.fixture
    def chat_model(self) -> ChatModel:
        raise NotImplementedError

    @pytest.fixture
    def served(self) -> Callable[[], int]:
        """How many conversations the backend has been asked to answer so far (needs COUNTED)."""
        raise NotImplementedError

    @pytest.fixture
    def failing_stream(self) -> Iterator[str]:
        """A stream whose backend fails before any text."""
        raise NotImplementedError

    @pytest.fixture
    def midway_failing_stream(self) -> Iterator[str]:
        """A stream whose backend fails after giving some text (needs MIDWAY)."""
        raise NotImplementedError

    @pytest.fixture
    def wire(self) -> WireServer[Any]:
        """The wire-compatible server the backend talks to (needs HTTP)."""
        raise NotImplementedError

    def model_at(self, url: str, *, timeout: float) -> ChatModel:
        """The backend pointed at `url` (needs HTTP)."""
        raise NotImplementedError

    def answer(self, model: ChatModel) -> list[str]:
        return list(model.stream(ASK, max_tokens=self.max_tokens, temperature=0))

    def test_is_a_chat_model(self, chat_model: ChatModel) -> None:
        assert isinstance(chat_model, ChatModel)

    def test_id_names_the_backend_and_does_not_change_while_answering(self, chat_model: ChatModel) -> None:
        before = chat_model.id
        self.answer(chat_model)
        assert before == chat_model.id == self.expected_id

    def test_streamed_pieces_are_text_that_joins_into_the_reply(self, chat_model: ChatModel) -> None:
        pieces = self.answer(chat_model)
        assert pieces and all(isinstance(p, str) and p for p in pieces)
        if self.reply is not None:
            assert "".join(pieces) == self.reply
        else:
            assert "".join(pieces).strip()

    def test_the_same_conversation_at_temperature_zero_gets_the_same_text(self, chat_model: ChatModel) -> None:
        assert "".join(self.answer(chat_model)) == "".join(self.answer(chat_model))

    def test_a_failing_backend_raises_llm_unavailable_with_a_vietnamese_message(
        self, failing_stream: Iterator[str]
    ) -> None:
        got: list[str] = []
        with pytest.raises(LLMUnavailableError) as err:
            for piece in failing_stream:
                got.append(piece)
        assert got == []
        assert_tells_the_user(err.value, LLMUnavailableError)

    def test_a_failure_midway_raises_llm_unavailable_after_the_text_already_given(
        self, request: pytest.FixtureRequest
    ) -> None:
        self.needs(MIDWAY)
        stream: Iterator[str] = request.getfixturevalue("midway_failing_stream")
        got: list[str] = []
        with pytest.raises(LLMUnavailableError) as err:
            for piece in stream:
                got.append(piece)
        assert got, "the failure came before any text"
        if self.reply is not None:
            assert self.reply.startswith("".join(got)) and "".join(got) != self.reply
        assert_tells_the_user(err.value, LLMUnavailableError)

    def test_a_stream_stopped_early_leaves_the_model_ready_for_the_next_answer(self, chat_model: ChatModel) -> None:
        stream = chat_model.stream(ASK, max_tokens=self.max_tokens, temperature=0)
        first = next(stream)
        stream.close()
        # llama.cpp holds its one context until the stream ends: a stream that kept it would hang here.
        again = self.answer(chat_model)
        assert again[0] == first
        if self.reply is not None:
            assert "".join(again) == self.reply

    def test_a_stream_cancelled_before_it_was_read_asks_the_backend_nothing(
        self, chat_model: ChatModel, request: pytest.FixtureRequest
    ) -> None:
        self.needs(COUNTED)
        served: Callable[[], int] = request.getfixturevalue("served")
        chat_model.stream(ASK, max_tokens=self.max_tokens, temperature=0).close()
        assert served() == 0
        self.answer(chat_model)
        assert served() == 1

    def test_an_answer_cancelled_through_the_resilient_wrapper_frees_its_slot(self, chat_model: ChatModel) -> None:
        wrapper = ResilientChatModel(chat_model, concurrency=1, queue=1, token_timeout=300, total_timeout=600)
        stream = wrapper.stream(ASK, max_tokens=self.max_tokens, temperature=0)
        next(stream)
        stream.close()
        # One slot and a learner waiting for it: a slot the cancelled answer kept would make this LLMBusyError.
        again = "".join(wrapper.stream(ASK, max_tokens=self.max_tokens, temperature=0))
        assert again == (self.reply if self.reply is not None else "".join(self.answer(chat_model)))
        assert wrapper.close(), "a generation thread was still running after its answer was cancelled"

    # --- over HTTP ---------------------------------------------------------------------------------

    def _wire(self, request: pytest.FixtureRequest) -> WireServer[Any]:
        self.needs(HTTP)
        server: WireServer[Any] = request.getfixturevalue("wire")
        return server

    def _failure(self, model: ChatModel) -> tuple[list[str], LLMUnavailableError]:
        got: list[str] = []
        with pytest.raises(LLMUnavailableError) as err:
            for piece in model.stream(ASK, max_tokens=self.max_tokens, temperature=0):
                got.append(piece)
        assert_tells_the_user(err.value, LLMUnavailableError)
        return got, err.value

    def test_a_server_error_is_unavailable_naming_the_status(self, request: pytest.FixtureRequest) -> None:
        wire = self._wire(request)
        wire.state.mode = "error500"
        got, err = self._failure(self.model_at(wire.url, timeout=5))
        assert got == [] and "500" in str(err)

    def test_malformed_stream_data_is_unavailable_after_the_text_before_it(
        self, request: pytest.FixtureRequest
    ) -> None:
        wire = self._wire(request)
        wire.state.mode = "garbage"
        got, _ = self._failure(self.model_at(wire.url, timeout=5))
        assert self.reply is not None and self.reply.startswith("".join(got))

    def test_nothing_listening_is_unavailable_naming_the_address(self, request: pytest.FixtureRequest) -> None:
        url = dead_url(self._wire(request).url)
        _, err = self._failure(self.model_at(url, timeout=2))
        assert f"127.0.0.1:{port_of(url)}" in str(err)

    def test_a_server_slower_than_the_timeout_is_unavailable(self, request: pytest.FixtureRequest) -> None:
        wire = self._wire(request)
        self.needs(TIMEOUT)
        wire.state.mode, wire.state.delay = "slow", 3.0
        got, err = self._failure(self.model_at(wire.url, timeout=0.5))
        assert got == [] and "chậm" in str(err)

    def test_a_stream_stopped_early_closes_its_connection(self, request: pytest.FixtureRequest) -> None:
        wire = self._wire(request)
        # Slow pieces, so the reply is still being sent when the reader stops.
        wire.state.mode, wire.state.delay = "slow", 0.3
        stream = self.model_at(wire.url, timeout=5).stream(ASK, max_tokens=self.max_tokens, temperature=0)
        next(stream)
        assert open_connections(port_of(wire.url)) == 1
        stream.close()
        assert open_connections(port_of(wire.url)) == 0


class WireChatModelContract(ChatModelContract):
    """A backend that talks HTTP to a wire-compatible server: subclasses name the server and the backend's class."""

    server: ClassVar[type[WireServer[Any]]]
    #: Built as `backend(url, model_name, timeout=...)`.
    backend: ClassVar[Callable[..., ChatModel]]
    #: The model the server offers and the backend asks for; the backend's id is `<id_prefix>:<model_name>`.
    model_name: ClassVar[str]
    id_prefix: ClassVar[str]
    reply: ClassVar[str] = SCRIPT

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "model_name" in cls.__dict__:
            cls.expected_id = f"{cls.id_prefix}:{cls.model_name}"

    @pytest.fixture
    def wire(self) -> Iterator[WireServer[Any]]:
        with self.server(self.server.state_type(models=[self.model_name], reply=self.reply)) as srv:
            yield srv

    def model_at(self, url: str, *, timeout: float) -> ChatModel:
        return self.backend(url, self.model_name, timeout=timeout)

    @pytest.fixture
    def chat_model(self, wire: WireServer[Any]) -> ChatModel:
        return self.model_at(wire.url, timeout=5)

    @pytest.fixture
    def served(self, wire: WireServer[Any]) -> Callable[[], int]:
        return lambda: len(wire.state.requests)

    @pytest.fixture
    def failing_stream(self, wire: WireServer[Any], chat_model: ChatModel) -> Iterator[str]:
        wire.state.mode = "error500"
        return chat_model.stream(ASK, max_tokens=self.max_tokens, temperature=0)

    @pytest.fixture
    def midway_failing_stream(self, wire: WireServer[Any], chat_model: ChatModel) -> Iterator[str]:
        wire.state.mode, wire.state.drop_at = "drop", 2
        return chat_model.stream(ASK, max_tokens=self.max_tokens, temperature=0)
