"""When a trainer's ingested document answers a question by itself: the gate keeps it, the composer keeps to it.

A hybrid score is normalised per question, so the best hit scores about 1 whatever it is; whether a document really
answers is read from the raw signals instead: its e5 cosine with the question, or the rare words they share (BM25).
"""

from __future__ import annotations

from tutor.types import Hit, is_document_id

#: An ingested document answers a question the scope classifier calls off-topic when the best hit is one of its
#: chunks and that chunk's e5 cosine with the question reaches DOCUMENT_SIMILARITY, or its BM25 score (the rare words
#: it shares with the question) DOCUMENT_LEXICAL. Chosen with the LibreOffice help ingested beside the lessons, on
#: document sets 1 and 2 and the 767 off-topic questions of the held-out sets (eval/results/documents_gate.md): the
#: fewest document questions refused (1 of 240) while at least 92.5% of off-topic questions stay refused (93.0%). The
#: hybrid score alone (normalised per question, so the best hit scores about 1 whatever it is) let 20.7% through.
DOCUMENT_SIMILARITY = 0.86
DOCUMENT_LEXICAL = 8.0
#: For a retriever that gives no raw scores: the hybrid score above which a document is taken to answer.
DOCUMENT_ANSWERS = 0.75


def document_answers(hit: Hit) -> bool:
    """The hit is a chunk of a trainer's ingested document that answers the question well enough to keep it."""
    if not is_document_id(hit.chunk.lesson_id):
        return False
    if hit.similarity is None and hit.lexical_score is None:
        return hit.score >= DOCUMENT_ANSWERS
    return (hit.similarity or 0.0) >= DOCUMENT_SIMILARITY or (hit.lexical_score or 0.0) >= DOCUMENT_LEXICAL
