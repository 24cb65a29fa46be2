"""Readiness: the LLM (with its circuit breaker), the index and the learner database checked separately.

Each check has two texts: `detail` for operators (model names, hosts, schema revisions, index builds) and `reason`,
which anyone may read: ready or not and why, in plain words, without versions or file names.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from tutor.answering.tutor import AnswerMode
from tutor.config import Settings
from tutor.learner import db
from tutor.ops.runtime import TutorRuntime

#: A readiness probe must answer fast; an Ollama that takes longer than this counts as down.
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Check:
    ok: bool
    #: For operators: what exactly is served or wrong.
    detail: str
    #: For anyone: the same in plain words, naming no file, host, model or version.
    reason: str = ""
    #: The LLM's circuit breaker: closed, open or half-open (None without one).
    breaker: str | None = None

    @property
    def public(self) -> str:
        return self.reason or ("sẵn sàng" if self.ok else "chưa sẵn sàng")


@dataclass(frozen=True)
class Readiness:
    llm: Check
    index: Check
    database: Check

    @property
    def ok(self) -> bool:
        return self.llm.ok and self.index.ok and self.database.ok


def _ollama_has(names: list[str], model: str) -> bool:
    # Ollama lists "qwen2.5:7b-instruct"; a model pulled without a tag is listed as "name:latest".
    return model in names or f"{model}:latest" in names


def check_ollama(host: str, model: str, timeout: float = PROBE_TIMEOUT_S) -> Check:
    """Ask the server's /api/tags whether it is up and has the configured model."""
    try:
        response = httpx.get(f"{host.rstrip('/')}/api/tags", timeout=timeout)
        response.raise_for_status()
        names = [str(m.get("name") or m.get("model") or "") for m in response.json().get("models", [])]
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        return Check(False, f"Không hỏi được Ollama ở {host} ({type(exc).__name__}).", _LLM_DOWN)
    if not _ollama_has(names, model):
        return Check(False, f"Ollama ở {host} chưa có mô hình '{model}'; chạy `ollama pull {model}`.", _LLM_DOWN)
    return Check(True, f"ollama:{model} sẵn sàng ở {host}")


_LLM_DOWN = "mô hình trả lời không dùng được; câu trả lời lấy thẳng từ bài học"
_BREAKER_OPEN = (
    "mô hình trả lời lỗi nhiều lần liền nên tạm ngừng gọi; câu trả lời lấy thẳng từ bài học cho tới khi thử lại được"
)


def check_ollama_pool(hosts: str, model: str) -> Check:
    """Every server of the pool asked; ready while at least one has the model (the others are skipped)."""
    checks = [check_ollama(host.strip().rstrip("/"), model) for host in hosts.split(",") if host.strip()]
    if len(checks) == 1:
        return checks[0]
    up = sum(c.ok for c in checks)
    detail = f"{up}/{len(checks)} máy chủ Ollama sẵn sàng: " + " | ".join(c.detail for c in checks)
    return Check(up > 0, detail, "" if up else _LLM_DOWN)


def _breaker_state(model: object) -> str | None:
    state = getattr(model, "state", None)  # ResilientChatModel exposes its breaker's state
    return str(state) if state is not None else None


def check_llm(settings: Settings, runtime: TutorRuntime) -> Check:
    model = runtime.chat_model
    breaker = _breaker_state(model)
    if breaker == "open":
        # Calls fail fast without reaching the backend, whatever a probe of the backend would say.
        name = model.id if model is not None else settings.llm
        return Check(False, f"{name}: bộ ngắt mạch đang mở sau các lỗi liên tiếp", _BREAKER_OPEN, breaker)
    if settings.llm == "ollama":
        probe = check_ollama_pool(settings.ollama_host, settings.ollama_model)
        return Check(probe.ok, probe.detail, probe.reason, breaker)
    if model is not None:
        return Check(True, f"{model.id} đã nạp", "", breaker)
    if settings.llm == "extractive":
        return Check(True, "không dùng LLM: trả lời bằng trích dẫn bài học", "trả lời bằng trích dẫn bài học")
    if not AnswerMode(settings.answer_mode).uses_llm:
        # The default composed answer needs no model, so none is loaded: nothing to wait for.
        mode = settings.answer_mode
        return Check(True, f"không dùng LLM (TUTOR_ANSWER_MODE={mode}): trả lời từ bài học", "trả lời từ bài học")
    return Check(
        False,
        f"mô hình '{settings.llm}' chưa được nạp (chưa có chỉ mục nên dịch vụ chưa khởi tạo trợ giảng)",
        "mô hình trả lời chưa được nạp vì chưa có chỉ mục bài học",
    )


def check_index(runtime: TutorRuntime) -> Check:
    if not runtime.ready:
        return Check(
            False,
            runtime.problem or "chưa có chỉ mục",
            "chưa có chỉ mục bài học: quản trị viên cần dựng chỉ mục (`tutor index build`)",
        )
    from tutor.index.faiss_store import read_manifest

    try:
        manifest = read_manifest(runtime.settings.index_dir)
    except Exception as exc:  # noqa: BLE001 - the serving index is in memory; a bad file on disk is only a note
        return Check(True, f"đang phục vụ; tệp manifest không đọc được ({exc})")
    if manifest is None:
        return Check(True, "đang phục vụ chỉ mục đã nạp")
    return Check(True, f"{manifest.chunk_count} đoạn, bộ nhúng {manifest.embedder}, dựng lúc {manifest.built_at}")


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = db.current_revision(engine), db.head_revision()
    except SQLAlchemyError as exc:
        return Check(
            False,
            f"Không kết nối được cơ sở dữ liệu học viên ({type(exc).__name__}).",
            "không kết nối được cơ sở dữ liệu học viên",
        )
    if current != head:
        return Check(
            False,
            f"Lược đồ cơ sở dữ liệu ở bản {current}, cần {head}; khởi động lại để cập nhật.",
            "cơ sở dữ liệu học viên chưa được cập nhật; quản trị viên cần khởi động lại dịch vụ",
        )
    return Check(True, f"{engine.dialect.name}, lược đồ {current}")


def readiness(settings: Settings, runtime: TutorRuntime, engine: Engine) -> Readiness:
    return Readiness(check_llm(settings, runtime), check_index(runtime), check_database(engine))
