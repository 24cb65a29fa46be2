"""Readiness: the LLM, the index and the learner database checked separately, each with a reason when down."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from tutor.config import Settings
from tutor.learner import db
from tutor.ops.runtime import TutorRuntime

#: A readiness probe must answer fast; an Ollama that takes longer than this counts as down.
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


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
        return Check(False, f"Không hỏi được Ollama ở {host} ({type(exc).__name__}).")
    if not _ollama_has(names, model):
        return Check(False, f"Ollama ở {host} chưa có mô hình '{model}'; chạy `ollama pull {model}`.")
    return Check(True, f"ollama:{model} sẵn sàng ở {host}")


def check_ollama_pool(hosts: str, model: str) -> Check:
    """Every server of the pool asked; ready while at least one has the model (the others are skipped)."""
    checks = [check_ollama(host.strip().rstrip("/"), model) for host in hosts.split(",") if host.strip()]
    if len(checks) == 1:
        return checks[0]
    up = sum(c.ok for c in checks)
    return Check(up > 0, f"{up}/{len(checks)} máy chủ Ollama sẵn sàng: " + " | ".join(c.detail for c in checks))


def check_llm(settings: Settings, runtime: TutorRuntime) -> Check:
    if settings.llm == "ollama":
        return check_ollama_pool(settings.ollama_host, settings.ollama_model)
    model = runtime.chat_model
    if model is not None:
        return Check(True, f"{model.id} đã nạp")
    if settings.llm == "extractive":
        return Check(True, "không dùng LLM: trả lời bằng trích dẫn bài học")
    return Check(False, f"mô hình '{settings.llm}' chưa được nạp (chưa có chỉ mục nên dịch vụ chưa khởi tạo trợ giảng)")


def check_index(runtime: TutorRuntime) -> Check:
    if not runtime.ready:
        return Check(False, runtime.problem or "chưa có chỉ mục")
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
        return Check(False, f"Không kết nối được cơ sở dữ liệu học viên ({type(exc).__name__}).")
    if current != head:
        return Check(False, f"Lược đồ cơ sở dữ liệu ở bản {current}, cần {head}; khởi động lại để cập nhật.")
    return Check(True, f"{engine.dialect.name}, lược đồ {current}")


def readiness(settings: Settings, runtime: TutorRuntime, engine: Engine) -> Readiness:
    return Readiness(check_llm(settings, runtime), check_index(runtime), check_database(engine))
