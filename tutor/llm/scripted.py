"""A shipped fake ChatModel: replies with a fixed script or fails on cue, for fast unit tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tutor.errors import LLMUnavailableError
from tutor.types import Message


class ScriptedChatModel:
    """Streams `reply` word by word; `fail_after` raises LLMUnavailableError after that many pieces."""

    def __init__(self, reply: str = "", *, fail_after: int | None = None) -> None:
        self.reply = reply
        self.fail_after = fail_after
        self.calls: list[list[Message]] = []

    @property
    def id(self) -> str:
        return "scripted"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        self.calls.append(list(messages))
        pieces = [w + " " for w in self.reply.split(" ")] if self.reply else []
        for i, piece in enumerate(pieces[:max_tokens]):
            if self.fail_after is not None and i >= self.fail_after:
                raise LLMUnavailableError("Mô hình giả lập ngắt kết nối.")
            yield piece
        if self.fail_after is not None and self.fail_after >= len(pieces):
            raise LLMUnavailableError("Mô hình giả lập không trả lời.")
