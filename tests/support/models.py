"""Chat models for tests: one that writes at a steady pace and records when its stream was closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from tutor.types import Message


class PacedModel:
    """Writes up to `pieces` pieces, one every `gap` seconds or more, like a model decoding on a busy CPU.

    `produced` counts what it wrote; `closed` is set once its stream is closed or runs out. A slower machine only
    makes it slower: `pieces * gap` is the least time it takes to run out, so a test can tell "stopped" from "done".
    """

    def __init__(self, gap: float, pieces: int = 200) -> None:
        self.gap = gap
        self.pieces = pieces
        self.produced = 0
        self.closed = threading.Event()

    @property
    def id(self) -> str:
        return "paced"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        try:
            for i in range(self.pieces):
                time.sleep(self.gap)
                self.produced += 1
                yield f"chữ{i} "
        finally:
            self.closed.set()
