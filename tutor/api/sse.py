"""Server-sent events: the answer's event sequence, and a stream that stops the generation when the client leaves.

Events, in order: `token` (each piece of text as the model writes it), `citations` (the lesson sections the
final answer cites), `answer` (the whole final answer, which may replace the streamed text), then `done`; or
`error` instead when the answer could not be produced.

The first event is produced before the response starts, so a failure before it — the LLM queue full (503 with
Retry-After), the index unreadable — is answered with its own HTTP status and JSON body, like /api/chat. Only a
failure after the first event, when the 200 is already on its way, becomes an `error` event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tutor.answering.tutor import Tutor
from tutor.api.schemas import AnswerOut, ErrorOut
from tutor.errors import TutorError
from tutor.types import Answer, Group, Level, Message, Token

#: Called with the final Answer before it is sent; returns extra fields for the `answer` event (e.g. message_id).
OnAnswer = Callable[[Answer], dict[str, Any]]
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_INTERNAL = "Máy chủ gặp lỗi khi trả lời. Hãy hỏi lại sau ít phút."
log = logging.getLogger("tutor.api")


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def answer_events(
    tutor: Tutor,
    question: str,
    level: Level,
    group: Group,
    history: Sequence[Message] = (),
    on_answer: OnAnswer | None = None,
    on_error: Callable[[], None] | None = None,
) -> Generator[str, None, None]:
    """The SSE text of one answer. Closing this generator closes Tutor.stream and so the model's stream.

    An error before the first event is raised (see event_stream); after it, it becomes the `error` event.
    """
    events = tutor.stream(question, level, group, history)
    started = False
    try:
        for event in events:
            if isinstance(event, Token):
                started = True
                yield sse("token", {"text": event.text})
            elif isinstance(event, Answer):
                extra = on_answer(event) if on_answer is not None else {}
                out = AnswerOut.from_answer(event).model_dump(mode="json")
                started = True
                yield sse("citations", {"citations": out["citations"]})
                yield sse("answer", {**out, **extra})
        yield sse("done", {})
    except TutorError as exc:
        if on_error is not None:
            on_error()
        if not started:
            raise
        yield sse("error", ErrorOut(error=type(exc).__name__, message=str(exc)).model_dump())
    except Exception:  # noqa: BLE001 - the 200 is already sent: say so in the stream instead of cutting it off
        if on_error is not None:
            on_error()
        if not started:
            raise
        log.exception("answer stream failed")
        yield sse("error", ErrorOut(error="InternalError", message=_INTERNAL).model_dump())
    finally:
        # Tutor.stream is a generator: closing it closes the chat model's stream, which stops the generation.
        close = getattr(events, "close", None)
        if close is not None:
            close()


async def _until_disconnected(request: Request, first: str, events: Generator[str, None, None]) -> AsyncIterator[str]:
    """Send `first`, then pull one event at a time in a worker thread; once the client is gone, stop and close.

    Without this a learner who closes the page would keep the CPU busy until the model finished an answer
    nobody reads. The generator only advances between our awaits, so `close()` never races a running step.
    """
    try:
        yield first
        while not await request.is_disconnected():
            chunk = await run_in_threadpool(next, events, None)
            if chunk is None:
                break
            yield chunk
    finally:
        events.close()


def event_stream(request: Request, events: Generator[str, None, None]) -> StreamingResponse:
    """The streamed response, its first event already produced: an error before it propagates as an HTTP error.

    Call it from a plain `def` route (FastAPI runs those in a worker thread): producing the first event waits for
    retrieval and the model's first words, or for a generation slot.
    """
    first = next(events)  # answer_events always yields at least `done` or `error`, or raises
    return StreamingResponse(
        _until_disconnected(request, first, events), media_type="text/event-stream", headers=_HEADERS
    )
