"""When a question is searched together with the learner's previous question, and when alone.

A follow-up cannot be found by its own words: "thế còn iPhone thì sao?", "Bật rồi mà đổi điện thoại thì có đăng nhập
được nữa không?" after asking how to turn on two-step login. A new topic must not drag the old one along: "có người
gọi xưng công an đòi mã OTP" after a question on VNeID. The question's wording decides (`leans_on_previous`). A
message that only asks to hear the last answer again is answered as the question before it (`asked_again`).

Also tried: searching a question alone first and joining it when nothing found matches it clearly (e5 cosine and
BM25 thresholds). It joined as many follow-ups as the wording does, but also new topics the lessons cover thinly
("ChatGPT với Gemini khác nhau thế nào?"), and lost on new topics what it won on follow-ups
(eval/results/retrieval_tuning.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from tutor.answering.question import asks_again, leans_on_previous
from tutor.types import Message


def _last_question_at(history: Sequence[Message]) -> int | None:
    """Where the learner's last question is in `history`; "nói lại đi" in between names nothing and is skipped."""
    latest_first = reversed(range(len(history)))
    return next((i for i in latest_first if history[i].role == "user" and not asks_again(history[i].content)), None)


def previous_question(history: Sequence[Message]) -> str:
    """The learner's last question before this one (`_last_question_at`), or "" when there is none."""
    at = _last_question_at(history)
    return "" if at is None else history[at].content


def asked_again(question: str, history: Sequence[Message]) -> tuple[str, Sequence[Message]] | None:
    """The previous question and the history before it, when `question` only asks to hear that answer again ("nói
    lại chậm từng bước"); None otherwise, or with nothing asked before. Asked again twice ("nói lại đi", then "bà chưa
    nhớ"), it is the question both ask about. The previous question goes through the gate and retrieval again like
    any question, so a history written by the client earns nothing it would not earn asked directly."""
    if not asks_again(question):
        return None
    at = _last_question_at(history)
    return None if at is None else (history[at].content, history[:at])


def retrieval_query(question: str, history: Sequence[Message]) -> str:
    """A follow-up that leans on the previous turn ("thế còn iPhone thì sao?") is searched with it; a question that
    names its own topic is searched alone, so a scam question after a VNeID one finds the scam lesson."""
    if not leans_on_previous(question):
        return question
    previous = previous_question(history)
    return f"{previous}\n{question}" if previous else question
