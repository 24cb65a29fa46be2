"""What a run writes: the per-item record (items.jsonl) and the run manifest (manifest.json), read and written."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutor.errors import TutorError

ITEMS_FILE = "items.jsonl"
MANIFEST_FILE = "manifest.json"


class RunError(TutorError, http_status=422, exit_code=2):
    """A run directory is missing, unreadable, or does not match what was asked of it."""


class Passage(BaseModel):
    """A retrieved chunk as the answer saw it; the text is kept so reports and grounding need no index."""

    model_config = ConfigDict(frozen=True)
    chunk_id: str
    lesson_id: str
    section_id: str
    lesson_title: str = ""
    section_title: str = ""
    score: float = 0.0
    text: str = ""


class Ranked(BaseModel):
    """One entry of the deeper retrieval ranking used for hit@k, MRR and nDCG (no text: ids are enough)."""

    model_config = ConfigDict(frozen=True)
    chunk_id: str
    lesson_id: str
    section_id: str


class CitationRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    n: int
    chunk_id: str
    lesson_id: str
    section_id: str


class ItemRecord(BaseModel):
    """One gold item run through Tutor.stream. `metrics` and `judge` are filled in by scoring."""

    model_config = ConfigDict(frozen=True)
    id: str
    question: str
    level: str
    group: str
    type: str
    answer: str | None = None
    citations: list[CitationRef] = Field(default_factory=list)
    retrieved: list[Passage] = Field(default_factory=list)
    ranking: list[Ranked] = Field(default_factory=list)
    degraded: bool = False
    notice: str | None = None
    model: str = ""
    ttft_s: float | None = None
    total_s: float | None = None
    tutor_timings: dict[str, float] = Field(default_factory=dict)
    error: str | None = None
    metrics: dict[str, Any] | None = None
    judge: dict[str, Any] | None = None


class RunManifest(BaseModel):
    """Everything needed to know what a run measured and to reproduce it."""

    model_config = ConfigDict(extra="allow")
    name: str
    dataset: str
    dataset_sha256: str
    dataset_items: int
    selected: int
    limit: int | None = None
    git_commit: str | None = None
    corpus: dict[str, Any] = Field(default_factory=dict)
    index: dict[str, Any] | None = None
    prompts: dict[str, Any] = Field(default_factory=dict)
    embedder: str
    llm: str
    options: dict[str, Any] = Field(default_factory=dict)
    started_at: str
    finished_at: str | None = None
    resumed_at: list[str] = Field(default_factory=list)
    wall_s: float = 0.0
    completed: int = 0
    errors: int = 0


def append_record(path: Path, record: ItemRecord) -> None:
    """Append one line and flush it to disk, so a crash or Ctrl-C loses at most the item in flight."""
    line = record.model_dump_json() + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def drop_partial_tail(path: Path) -> bool:
    """Cut an unfinished last line (no newline: the process died mid-write) so appends start clean."""
    if not path.is_file():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    cut = data.rfind(b"\n") + 1
    with path.open("r+b") as fh:
        fh.truncate(cut)
    return True


def read_records(path: Path) -> tuple[list[ItemRecord], list[str]]:
    """Records in file order (a later line for the same id wins) and a note for every unreadable line.

    A run killed mid-write leaves a truncated last line; it is reported, not fatal, and the item is
    simply run again on resume.
    """
    if not path.is_file():
        return [], []
    by_id: dict[str, ItemRecord] = {}
    problems: list[str] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = ItemRecord.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(f"{path}:{lineno}: bản ghi hỏng, bỏ qua ({type(exc).__name__}).")
            continue
        by_id.pop(rec.id, None)
        by_id[rec.id] = rec
    return list(by_id.values()), problems


def write_records(path: Path, records: Iterable[ItemRecord]) -> None:
    """Rewrite the whole file atomically (scoring adds metrics to every line)."""
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    os.replace(tmp, path)


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    tmp = run_dir / (MANIFEST_FILE + ".tmp")
    tmp.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, run_dir / MANIFEST_FILE)


def read_manifest(run_dir: Path) -> RunManifest:
    path = run_dir / MANIFEST_FILE
    try:
        return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunError(f"Không thấy {path}. Thư mục này không phải một lần chạy đánh giá.") from exc
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        raise RunError(f"Không đọc được {path}: {exc}") from exc


def load_run(run_dir: Path) -> tuple[RunManifest, list[ItemRecord]]:
    """A finished or partial run: its manifest and the records written so far."""
    if not run_dir.is_dir():
        raise RunError(f"Không thấy thư mục lần chạy {run_dir}.")
    manifest = read_manifest(run_dir)
    records, _ = read_records(run_dir / ITEMS_FILE)
    return manifest, records
