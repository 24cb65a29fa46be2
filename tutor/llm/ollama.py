"""Ollama backend through the official `ollama` client: streamed /api/chat, every failure mapped to one error."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import httpx
import ollama

from tutor.errors import LLMUnavailableError
from tutor.types import Message


class OllamaChatModel:
    def __init__(self, host: str, model: str, timeout: float = 60.0) -> None:
        self._host = host
        self._model = model
        self._client = ollama.Client(host=host, timeout=timeout)

    @property
    def id(self) -> str:
        return f"ollama:{self._model}"

    def _unavailable(self, exc: BaseException) -> LLMUnavailableError:
        if isinstance(exc, ollama.ResponseError) and exc.status_code == 404:
            return LLMUnavailableError(
                f"Máy chủ Ollama {self._host} không có mô hình '{self._model}'. "
                f"Chạy `ollama pull {self._model}` hoặc đặt TUTOR_OLLAMA_MODEL."
            )
        if isinstance(exc, ConnectionError | httpx.ConnectError):
            return LLMUnavailableError(
                f"Không kết nối được Ollama ở {self._host}. Kiểm tra máy chủ Ollama hoặc TUTOR_OLLAMA_HOST."
            )
        if isinstance(exc, httpx.TimeoutException):
            return LLMUnavailableError(f"Ollama ở {self._host} trả lời quá chậm ({type(exc).__name__}).")
        return LLMUnavailableError(f"Ollama ở {self._host} gặp lỗi: {exc}")

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        payload = [{"role": m.role, "content": m.content} for m in messages]
        try:
            for part in self._client.chat(
                model=self._model,
                messages=payload,
                stream=True,
                options={"num_predict": max_tokens, "temperature": temperature},
            ):
                text = part.message.content if part.message else None
                if text:
                    yield text
        # ValueError covers a truncated NDJSON line (json) and a malformed part (pydantic).
        except (ollama.ResponseError, ConnectionError, httpx.HTTPError, ValueError) as exc:
            raise self._unavailable(exc) from exc

    def models(self) -> list[str]:
        """Names the server offers (/api/tags); used by readiness checks."""
        try:
            return [m.model or "" for m in self._client.list().models]
        except (ollama.ResponseError, ConnectionError, httpx.HTTPError, ValueError) as exc:
            raise self._unavailable(exc) from exc
