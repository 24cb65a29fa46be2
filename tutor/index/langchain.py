"""LangChain `BaseRetriever` over the tutor's retriever: each hit becomes a Document carrying its citation."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from tutor.errors import MissingExtraError
from tutor.protocols import Retriever
from tutor.types import Hit

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # an adapter for users' chains: the `langchain` extra
    raise MissingExtraError(exc, "langchain", "Bộ chuyển đổi LangChain") from exc


def hit_to_document(hit: Hit) -> Document:
    c = hit.chunk
    return Document(
        page_content=c.text,
        id=c.id,
        metadata={
            "chunk_id": c.id,
            "lesson_id": c.lesson_id,
            "section_id": c.section_id,
            "lesson_title": c.lesson_title,
            "section_title": c.section_title,
            "score": hit.score,
        },
    )


class TutorRetriever(BaseRetriever):
    """`TutorRetriever(retriever=tutor.retriever, k=4).invoke("câu hỏi")` -> list[Document]."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # a tutor Retriever; typed Any because pydantic cannot validate a Protocol
    k: int = 4

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        tutor_retriever: Retriever = self.retriever
        return [hit_to_document(h) for h in tutor_retriever.retrieve(query, self.k)]
