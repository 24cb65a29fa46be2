"""Online backup and checked, atomic restore of the SQLite learner store, with sqlite3's backup API.

A backup is taken while the service runs: in WAL mode the copy reads one consistent snapshot (every transaction
committed before it started, none after) and writers go on meanwhile. A restore replaces the database file in one
`os.replace` after the copy passed `PRAGMA integrity_check`; stop the service first, since connections that are
open keep reading the old file. Restoring brings back learners deleted after the backup was taken: re-apply the
deletion requests made since then (Nghị định 13/2023/NĐ-CP), e.g. from the service's audit log.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tutor.atomic_file import fsync_dir
from tutor.errors import TutorError

#: `learners-20250301T101500123456Z.sqlite3`: sorts by time, and two backups in one second do not collide.
BACKUP_PREFIX = "learners-"
BACKUP_SUFFIX = ".sqlite3"


class BackupError(TutorError, http_status=503, exit_code=3):
    """A backup or restore could not be made, or the backup file is damaged; the live database is untouched."""


def sqlite_path(url: str) -> Path:
    """The file behind a `sqlite:///…` learner-store URL; BackupError for any other database."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BackupError(f"Địa chỉ cơ sở dữ liệu học viên không hợp lệ: {exc}") from exc
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BackupError(
            "Sao lưu bằng lệnh này chỉ dành cho tệp SQLite. Với PostgreSQL hãy dùng pg_dump / pg_restore."
        )
    return Path(parsed.database)


def integrity_errors(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` reports for a SQLite file ([] when it is "ok"); a non-database is one error."""
    try:
        # mode=ro: checking a file must never create or change it (no -wal, no journal).
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"không mở được: {exc}"]
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: Path, target: Path) -> None:
    """Copy a live database into `target` as one snapshot, leaving a self-contained file (no -wal beside it)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            # pages=-1 copies everything in one step, under one read transaction: a consistent snapshot that,
            # in WAL mode, does not block writers. Copying in small steps would restart whenever a writer commits.
            src.backup(dst, pages=-1)
            # The copy inherits WAL mode; a backup or a restored file must not depend on a -wal file beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()
    _fsync_file(target)


def _timestamp(now: dt.datetime | None) -> str:
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def backup_sqlite(db_path: Path, backup_dir: Path, *, now: dt.datetime | None = None) -> Path:
    """Copy the live learner database into `backup_dir/learners-<UTC time>.sqlite3`, checked; return that path.

    The file appears under its final name only once it is complete and passed `integrity_check`.
    """
    if not db_path.is_file():
        raise BackupError(f"Không thấy cơ sở dữ liệu học viên {db_path}. Kiểm tra TUTOR_DATA_DIR hoặc địa chỉ CSDL.")
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{BACKUP_PREFIX}{_timestamp(now)}{BACKUP_SUFFIX}"
    _place_checked_copy(
        db_path,
        target,
        backup_dir / f".{target.name}.partial",
        damaged=lambda problems: (
            f"Bản sao lưu vừa tạo bị lỗi ({problems}). Cơ sở dữ liệu gốc có thể hỏng: "
            "chạy `PRAGMA integrity_check` trên nó và khôi phục từ bản sao lưu trước."
        ),
        unreadable=lambda exc: f"Không sao lưu được {db_path}: {exc}. Kiểm tra chỗ trống trên đĩa và quyền ghi.",
        unwritable=lambda exc: f"Không ghi được bản sao lưu vào {backup_dir}: {exc}.",
    )
    return target


def list_backups(backup_dir: Path) -> list[Path]:
    """Backups in `backup_dir`, oldest first."""
    if not backup_dir.is_dir():
        return []
    return sorted(p for p in backup_dir.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if p.is_file())


def restore_sqlite(backup_file: Path, db_path: Path) -> Path:
    """Replace `db_path` with a checked copy of `backup_file` in one atomic rename; return `db_path`.

    Both the backup and the copy are checked with `integrity_check` before anything is replaced, so a damaged
    backup leaves the live database as it was. Stop the service first.
    """
    if not backup_file.is_file():
        raise BackupError(f"Không thấy bản sao lưu {backup_file}.")
    problems = integrity_errors(backup_file)
    if problems:
        raise BackupError(
            f"Bản sao lưu {backup_file.name} bị hỏng ({'; '.join(problems[:3])}); chưa thay gì. Chọn bản sao lưu khác."
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _place_checked_copy(
        backup_file,
        db_path,
        db_path.with_name(f".{db_path.name}.restore"),
        damaged=lambda problems: f"Bản sao chép để khôi phục bị lỗi ({problems}); chưa thay gì.",
        unreadable=lambda exc: f"Không khôi phục được từ {backup_file.name}: {exc}.",
        unwritable=lambda exc: f"Không ghi được {db_path}: {exc}. Kiểm tra quyền ghi và chỗ trống trên đĩa.",
        before_replace=lambda: _retire_wal(db_path),
    )
    return db_path


def _place_checked_copy(
    source: Path,
    target: Path,
    tmp: Path,
    *,
    damaged: Callable[[str], str],
    unreadable: Callable[[sqlite3.Error], str],
    unwritable: Callable[[OSError], str],
    before_replace: Callable[[], None] = lambda: None,
) -> None:
    """Copy `source` into `tmp`, check the copy, and rename it over `target`; `tmp` never outlives the call.

    A backup and a restore are the same move in opposite directions; only what they tell the operator differs:
    `damaged` (given the first problems `integrity_check` found), `unreadable` (sqlite3 failed), `unwritable`.
    """
    try:
        _copy(source, tmp)
        problems = integrity_errors(tmp)
        if problems:
            raise BackupError(damaged("; ".join(problems[:3])))
        before_replace()
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(unreadable(exc)) from exc
    except OSError as exc:
        raise BackupError(unwritable(exc)) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _retire_wal(db_path: Path) -> None:
    """Fold the old database's WAL into it and remove the -wal/-shm files before the file is replaced.

    A -wal file left beside the restored database would be replayed into it by the next connection and
    corrupt it: SQLite cannot tell that the WAL belonged to the file that was replaced.
    """
    if not db_path.exists():
        return
    try:
        conn = sqlite3.connect(db_path, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        pass  # a damaged database is what a restore is for; its WAL is discarded with it
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
