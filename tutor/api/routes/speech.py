"""Read-aloud over HTTP: a lesson section as WAV (cached on disk), any answer as WAV, and the text as it is read.

Phones with a Vietnamese voice speak in the browser and only ask for `/api/speech/reading` (the text with numbers,
abbreviations and addresses written out); the others play the tutor's own offline voice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from tutor.api.deps import ServicesDep
from tutor.api.markdown_html import plain_text
from tutor.api.routes.lessons import find_lesson
from tutor.api.schemas import error_responses
from tutor.errors import InvalidQuestionError, NotFoundError
from tutor.speech.base import Speaker, SpeechUnavailableError
from tutor.speech.reading import reading

router = APIRouter(tags=["đọc to"])
#: An answer is at most a few hundred words; a longer text is not what the read-aloud button sends.
MAX_TEXT_CHARS = 4000
_WAV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/wav": {}}, "description": "Âm thanh WAV (PCM 16 bit, một kênh)."}
}


class SpeechIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT_CHARS * 2, description="Đoạn văn cần đọc (câu trả lời của trợ giảng).")


class ReadingOut(BaseModel):
    reading: str = Field(description="Đoạn văn viết ra như khi đọc: số, chữ viết tắt, địa chỉ web thành lời.")


def _spoken(text: str) -> str:
    said = reading(text)
    if not said.strip():
        raise InvalidQuestionError("Không có chữ nào để đọc. Hãy gửi một đoạn văn bản tiếng Việt.")
    if len(said) > MAX_TEXT_CHARS:
        raise InvalidQuestionError(f"Đoạn văn quá dài để đọc một lần (tối đa {MAX_TEXT_CHARS} ký tự).")
    return said


def _speaker(services: ServicesDep) -> Speaker:
    if services.speaker is None or services.speech_cache is None:
        raise SpeechUnavailableError(
            "Máy chủ này không bật giọng đọc (TUTOR_TTS=none); điện thoại có giọng đọc tiếng Việt vẫn đọc được."
        )
    return services.speaker


@router.get(
    "/api/lessons/{lesson_id}/sections/{section_id}/speech",
    response_class=FileResponse,
    responses={**_WAV, **error_responses(404, 503)},
)
def section_speech(lesson_id: str, section_id: str, services: ServicesDep) -> FileResponse:
    """Một mục bài học đọc thành tiếng (WAV), tạo một lần rồi giữ trong bộ nhớ đệm trên đĩa."""
    section = find_lesson(services, lesson_id).section(section_id)
    if section is None:
        raise NotFoundError(f"Bài học '{lesson_id}' không có mục '{section_id}'.")
    speaker = _speaker(services)
    assert services.speech_cache is not None
    path = services.speech_cache.audio(speaker, _spoken(f"{section.title}.\n{plain_text(section.text)}"))
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})


@router.post("/api/speech", response_class=Response, responses={**_WAV, **error_responses(422, 503)})
def speech(req: SpeechIn, services: ServicesDep) -> Response:
    """Đọc một đoạn văn (câu trả lời của trợ giảng) thành tiếng, trả WAV; không lưu lại."""
    wav = _speaker(services).synthesize(_spoken(req.text))
    return Response(wav, media_type="audio/wav")


@router.post("/api/speech/reading", response_model=ReadingOut, responses=error_responses(422))
def speech_reading(req: SpeechIn) -> ReadingOut:
    """Đoạn văn viết ra như khi đọc, cho điện thoại tự đọc bằng giọng tiếng Việt của máy."""
    return ReadingOut(reading=_spoken(req.text))
