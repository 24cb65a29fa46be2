"""Where a run's inputs came from: git commit, dataset and prompt hashes, corpus and index identity."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tutor.corpus.load import corpus_hash, lesson_files
from tutor.errors import TutorError


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def git_commit(cwd: Path) -> str | None:
    """HEAD of the checkout, or None when git or the repository is absent: provenance must never fail a run."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def corpus_info(lessons_dir: Path) -> dict[str, Any]:
    try:
        files = lesson_files(lessons_dir)
    except TutorError:
        return {"lessons_dir": str(lessons_dir), "lessons": 0, "hash": None}
    return {"lessons_dir": str(lessons_dir), "lessons": len(files), "hash": corpus_hash(files)}


def index_info(index_dir: Path) -> dict[str, Any] | None:
    """The index manifest as written by `tutor index build`, plus the version directory it points at."""
    path = index_dir / "current" / "manifest.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data["version_dir"] = (index_dir / "current").resolve().name
    return data


def prompts_info(prompts_dir: Path) -> dict[str, Any]:
    if not prompts_dir.is_dir():
        return {"dir": str(prompts_dir), "sha256": None}
    # The judge rubric lives beside the answer prompts but does not change what the tutor says.
    h = hashlib.sha256()
    for p in sorted(q for q in prompts_dir.glob("**/*.j2") if q.is_file() and not q.name.startswith("judge")):
        h.update(str(p.relative_to(prompts_dir)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return {"dir": str(prompts_dir), "sha256": h.hexdigest()}


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
