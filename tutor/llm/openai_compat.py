"""OpenAI-compatible backend (vLLM, llama.cpp server): streamed /v1/chat/completions over a small failover pool."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from tutor.errors import ConfigError, LLMUnavailableError
from tutor.types import Message

# A refused connection fails in milliseconds, but a host that silently drops packets would hold the learner for the
# whole read timeout before the next server of the pool is tried; connecting never needs more than a few seconds.
_CONNECT_TIMEOUT = 5.0
# Only these mean "the request never reached a server", so trying the next one cannot duplicate work.
_CONNECT_FAILURES = (httpx.ConnectError, httpx.ConnectTimeout)


def split_base_urls(base_urls: str | Sequence[str]) -> list[str]:
    """`"http://a/v1, http://b/v1"` or a list → clean URLs without a trailing slash."""
    parts = base_urls.split(",") if isinstance(base_urls, str) else list(base_urls)
    urls = [u.strip().rstrip("/") for u in parts if u.strip()]
    if not urls:
        raise ConfigError(
            "TUTOR_OPENAI_BASE_URL đang trống. Đặt ví dụ http://127.0.0.1:8001/v1 (có thể nhiều, cách dấu phẩy)."
        )
    return urls


class OpenAICompatChatModel:
    """Streams from the first server of the pool that accepts a connection.

    Pool: each call starts at the next URL (round-robin, shared by all threads of the process) and, only when that
    server refuses the connection or cannot be reached within the connect timeout, tries the following ones in turn.
    Failures after the request was sent (HTTP errors, slow or dropped streams, malformed SSE) are not retried: tokens
    may already be on the learner's screen, and the tutor degrades to quoting the lessons instead of waiting twice.
    """

    def __init__(
        self,
        base_urls: str | Sequence[str],
        model: str,
        api_key: str = "",
        timeout: float = 60.0,
    ) -> None:
        self._urls = split_base_urls(base_urls)
        self._model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT)), headers=headers
        )
        self._turn = 0
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return f"openai:{self._model}"

    @property
    def base_urls(self) -> list[str]:
        return list(self._urls)

    def _order(self) -> list[str]:
        with self._lock:
            start = self._turn % len(self._urls)
            self._turn += 1
        return self._urls[start:] + self._urls[:start]

    def _refused(self, tried: Sequence[str], exc: BaseException) -> LLMUnavailableError:
        where = ", ".join(tried)
        return LLMUnavailableError(
            f"Không kết nối được máy chủ LLM ở {where} ({type(exc).__name__}). "
            "Kiểm tra máy chủ vLLM/llama.cpp đang chạy hoặc sửa TUTOR_OPENAI_BASE_URL."
        )

    def _http_error(self, base: str, status: int, body: bytes) -> LLMUnavailableError:
        detail = _error_detail(body)
        if status in (401, 403):
            # The key itself never appears in a message: messages reach logs and the learner's screen.
            return LLMUnavailableError(
                f"Máy chủ LLM {base} từ chối khoá API (HTTP {status}). Kiểm tra TUTOR_OPENAI_API_KEY."
            )
        if status == 404:
            return LLMUnavailableError(
                f"Máy chủ LLM {base} không có mô hình '{self._model}' (HTTP 404: {detail}). "
                f"Xem danh sách ở {base}/models rồi đặt TUTOR_OPENAI_MODEL; "
                "TUTOR_OPENAI_BASE_URL thường kết thúc bằng /v1."
            )
        if status == 429:
            return LLMUnavailableError(f"Máy chủ LLM {base} đang quá tải (HTTP 429). Thử lại sau hoặc thêm máy chủ.")
        if status >= 500:
            return LLMUnavailableError(
                f"Máy chủ LLM {base} gặp lỗi HTTP {status}: {detail}. Xem nhật ký của máy chủ LLM."
            )
        return LLMUnavailableError(f"Máy chủ LLM {base} từ chối yêu cầu (HTTP {status}: {detail}).")

    def _broken(self, base: str, exc: httpx.HTTPError) -> LLMUnavailableError:
        if isinstance(exc, httpx.TimeoutException):
            return LLMUnavailableError(
                f"Máy chủ LLM {base} trả lời quá chậm ({type(exc).__name__}). Tăng TUTOR_LLM_TIMEOUT hoặc thêm máy chủ."
            )
        return LLMUnavailableError(
            f"Máy chủ LLM {base} ngắt kết nối giữa chừng ({type(exc).__name__}). Xem nhật ký của máy chủ LLM."
        )

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        body = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        tried: list[str] = []
        for base in self._order():
            tried.append(base)
            try:
                with self._client.stream(
                    "POST", f"{base}/chat/completions", json=body, headers={"Accept": "text/event-stream"}
                ) as resp:
                    if resp.status_code != 200:
                        raise self._http_error(base, resp.status_code, resp.read())
                    yield from _sse_deltas(base, resp.iter_lines())
                    return
            except _CONNECT_FAILURES as exc:
                if len(tried) == len(self._urls):
                    raise self._refused(tried, exc) from exc
            except httpx.HTTPError as exc:
                raise self._broken(base, exc) from exc

    def models(self) -> list[str]:
        """Model ids the first reachable server of the pool offers (/v1/models); used by readiness checks."""
        tried: list[str] = []
        for base in self._order():
            tried.append(base)
            try:
                resp = self._client.get(f"{base}/models")
            except _CONNECT_FAILURES as exc:
                if len(tried) == len(self._urls):
                    raise self._refused(tried, exc) from exc
                continue
            except httpx.HTTPError as exc:
                raise self._broken(base, exc) from exc
            if resp.status_code != 200:
                raise self._http_error(base, resp.status_code, resp.content)
            try:
                return [str(m["id"]) for m in resp.json()["data"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise LLMUnavailableError(f"Máy chủ LLM {base} trả về danh sách mô hình không đọc được.") from exc
        raise AssertionError("unreachable: the pool is never empty")

    def close(self) -> None:
        self._client.close()


def _error_detail(body: bytes) -> str:
    """The server's own words: OpenAI/llama.cpp send {"error": {"message"}}, vLLM {"message"}; else the raw text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200] or "không có nội dung"
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:200]
        if isinstance(err, str):
            return err[:200]
    return text[:200]


def _sse_deltas(base: str, lines: Iterator[str]) -> Iterator[str]:
    """Content pieces from SSE events (`data: {...}` lines, blank line ends an event) until `data: [DONE]`."""
    data: list[str] = []
    finished = False
    for line in lines:
        if line == "":
            if data:
                event = "\n".join(data)
                data = []
                if event.strip() == "[DONE]":
                    return
                piece, done = _delta(base, event)
                finished = finished or done
                if piece:
                    yield piece
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
        elif field in ("", "event", "id", "retry"):
            continue  # comments (keep-alives) and fields the chat stream does not use
        else:
            raise LLMUnavailableError(f"Máy chủ LLM {base} gửi dòng SSE không hợp lệ: {line[:80]!r}.")
    # The body ended cleanly: accept a last event without its blank line, and a missing [DONE] only after a
    # finish_reason, since some servers close the stream right after the final chunk.
    if data:
        event = "\n".join(data)
        if event.strip() == "[DONE]":
            return
        piece, done = _delta(base, event)
        finished = finished or done
        if piece:
            yield piece
    if not finished:
        raise LLMUnavailableError(
            f"Máy chủ LLM {base} kết thúc luồng trả lời khi chưa xong. Xem nhật ký của máy chủ LLM."
        )


def _delta(base: str, event: str) -> tuple[str, bool]:
    """(content, finished) of one chat.completion.chunk; an error event or a malformed one is unavailable."""
    try:
        chunk: Any = json.loads(event)
    except ValueError as exc:
        raise LLMUnavailableError(f"Máy chủ LLM {base} gửi dữ liệu SSE hỏng: {event[:80]!r}.") from exc
    if not isinstance(chunk, dict):
        raise LLMUnavailableError(f"Máy chủ LLM {base} gửi dữ liệu SSE hỏng: {event[:80]!r}.")
    if "error" in chunk:
        # vLLM and OpenAI report failures that happen after the 200 as an error event inside the stream.
        raise LLMUnavailableError(f"Máy chủ LLM {base} báo lỗi giữa chừng: {_error_detail(event.encode())}.")
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise LLMUnavailableError(f"Máy chủ LLM {base} gửi dữ liệu SSE thiếu 'choices': {event[:80]!r}.")
    if not choices:
        return "", False  # the usage-only chunk some servers send last
    choice = choices[0]
    if not isinstance(choice, dict):
        raise LLMUnavailableError(f"Máy chủ LLM {base} gửi dữ liệu SSE hỏng: {event[:80]!r}.")
    delta = choice.get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    return (content if isinstance(content, str) else ""), choice.get("finish_reason") is not None
