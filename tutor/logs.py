"""Service logs as redacted JSON lines under data_dir/logs, and removal of one learner's lines on a deletion request.

Every record becomes one JSON object per line in `tutor-YYYY-MM-DD.jsonl` (UTC date). Its message and
any traceback pass through `tutor.safety.privacy.redact` first, so phone, ID and account numbers, e-mails and OTP
codes never reach the disk. A record names its learner in `learner_id`, taken from `extra={"learner_id": …}` or from
`learner_context(…)` around a request, so that `purge_learner_logs` can remove that learner's lines later.

Writers and the purge share a lock: a thread lock within the process and `flock` on `.lock` between processes
(the server writing while `tutor learner delete` purges). The handler opens the file for each record, so after a
purge has swapped a file in, the next line goes to the new file instead of the unlinked old one.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import fcntl
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.atomic_file import replace_file
from tutor.safety.privacy import redact

LOG_PREFIX = "tutor-"
LOG_SUFFIX = ".jsonl"
LOCK_NAME = ".lock"

_current_learner: contextvars.ContextVar[str | None] = contextvars.ContextVar("tutor_learner_id", default=None)
_process_lock = threading.Lock()


def log_dir_for(data_dir: Path) -> Path:
    """Where the service writes its logs: `<data_dir>/logs`."""
    return data_dir / "logs"


@contextlib.contextmanager
def learner_context(learner_id: str | None) -> Iterator[None]:
    """Tag every record logged inside the block (this thread or task) with `learner_id`."""
    token = _current_learner.set(learner_id)
    try:
        yield
    finally:
        _current_learner.reset(token)


@contextlib.contextmanager
def _locked(log_dir: Path, exclusive: bool) -> Iterator[None]:
    log_dir.mkdir(parents=True, exist_ok=True)
    with _process_lock:
        fd = os.open(log_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing releases the flock


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, redacted message, learner_id, redacted traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        learner = getattr(record, "learner_id", None) or _current_learner.get()
        if learner:
            entry["learner_id"] = str(learner)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RedactingFileHandler(logging.Handler):
    """Appends formatted records to the day's file in `log_dir`, under the shared log lock."""

    def __init__(self, log_dir: Path, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.log_dir = log_dir
        self.setFormatter(JsonLinesFormatter())
        log_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, created: float) -> Path:
        day = dt.datetime.fromtimestamp(created, dt.UTC).strftime("%Y-%m-%d")
        return self.log_dir / f"{LOG_PREFIX}{day}{LOG_SUFFIX}"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record).replace("\n", "\\n") + "\n"
            with _locked(self.log_dir, exclusive=False):
                fd = os.open(self.path_for(record.created), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line.encode("utf-8"))
                finally:
                    os.close(fd)
        except Exception:
            self.handleError(record)


def setup_logging(log_dir: Path, *, level: int = logging.INFO, logger: str = "tutor") -> RedactingFileHandler:
    """Send `logger`'s records (and its children's) to JSON lines in `log_dir`; calling again replaces the handler.

    `logger=""` captures every library's records too (the root logger).
    """
    target = logging.getLogger(logger)
    for old in [h for h in target.handlers if isinstance(h, RedactingFileHandler)]:
        target.removeHandler(old)
        old.close()
    handler = RedactingFileHandler(log_dir)
    target.addHandler(handler)
    target.setLevel(level)
    return handler


def _mentions(line: str, learner_id: str, pseudonym: re.Pattern[str] | None) -> bool:
    # A uuid's last group can be twelve digits, which redaction masks as an ID number inside a message;
    # its first 23 characters (80 random bits) still name the learner.
    if learner_id[:23] in line:
        return True
    try:
        entry = json.loads(line)
    except ValueError:  # a line cut short by a crash: judge its raw text
        return bool(pseudonym and pseudonym.search(line))
    if isinstance(entry, dict) and entry.get("learner_id") == learner_id:
        return True
    # Decoded values too: JSON may have escaped a quote or a backslash inside the pseudonym.
    text = line if not isinstance(entry, dict) else line + "\n" + "\n".join(str(v) for v in entry.values())
    return bool(pseudonym and pseudonym.search(text))


def purge_learner_logs(log_dir: Path, learner_id: str, *, pseudonym: str | None = None) -> int:
    """Rewrite every log file in `log_dir` without the lines of `learner_id`; return how many lines were removed.

    A line goes if it is tagged with the learner, or mentions the id or (as a whole word) the pseudonym anywhere.
    Each file is replaced atomically, under the lock the handler writes with, so no other line is lost.
    """
    if len(learner_id.strip()) < 8:
        # An empty or tiny id would match almost every line.
        raise ValueError("learner_id is too short to purge by")
    name = pseudonym.strip() if pseudonym else ""
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)") if name else None
    if not log_dir.is_dir():
        return 0
    removed = 0
    with _locked(log_dir, exclusive=True):
        for path in sorted(log_dir.iterdir()):
            if not (path.is_file() and path.name.startswith(LOG_PREFIX) and LOG_SUFFIX in path.name):
                continue
            # Bytes in, bytes out: the lines that stay are written back exactly as they were.
            lines = path.read_bytes().splitlines(keepends=True)
            kept = [ln for ln in lines if not _mentions(ln.decode("utf-8", "replace"), learner_id, pattern)]
            if len(kept) != len(lines):
                removed += len(lines) - len(kept)
                replace_file(path, kept, mode=path.stat().st_mode & 0o777)  # keeps its permissions
    return removed
