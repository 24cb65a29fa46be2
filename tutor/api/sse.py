"""Server-sent events: the answer's event sequence, and a stream that stops the generation when the client leaves.

Events, in order: `token` (each piece of text as the model writes it), `citations` (the lesson sections the
final answer cites), `answer` (the whole final answer, which may replace the streamed text), then `done`; or
`error` instead when the answer could not be produced.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tutor.answer import Tutor
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
    """The SSE text of one answer. Closing this generator closes Tutor.stream and so the model's stream."""
    events = tutor.stream(question, level, group, history)
    try:
        for event in events:
            if isinstance(event, Token):
                yield sse("token", {"text": event.text})
            elif isinstance(event, Answer):
                extra = on_answer(event) if on_answer is not None else {}
                out = AnswerOut.from_answer(event).model_dump(mode="json")
                yield sse("citations", {"citations": out["citations"]})
                yield sse("answer", {**out, **extra})
        yield sse("done", {})
    except TutorError as exc:
        if on_error is not None:
            on_error()
        yield sse("error", ErrorOut(error=type(exc).__name__, message=str(exc)).model_dump())
    except Exception:  # noqa: BLE001 - the 200 is already sent: say so in the stream instead of cutting it off
        log.exception("answer stream failed")
        if on_error is not None:
            on_error()
        yield sse("error", ErrorOut(error="InternalError", message=_INTERNAL).model_dump())
    finally:
        # Tutor.stream is a generator: closing it closes the chat model's stream, which stops the generation.
        close = getattr(events, "close", None)
        if close is not None:
            close()


async def _until_disconnected(request: Request, events: Generator[str, None, None]) -> AsyncIterator[str]:
    """Pull one event at a time in a worker thread; stop pulling, and close the generator, once the client is gone.

    Without this a learner who closes the page would keep the CPU busy until the model finished an answer
    nobody reads. The generator only advances between our awaits, so `close()` never races a running step.
    """
    try:
        while not await request.is_disconnected():
            chunk = await run_in_threadpool(next, events, None)
            if chunk is None:
                break
            yield chunk
    finally:
        events.close()


def event_stream(request: Request, events: Generator[str, None, None]) -> StreamingResponse:
    return StreamingResponse(_until_disconnected(request, events), media_type="text/event-stream", headers=_HEADERS)
