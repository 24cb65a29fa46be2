"""Online backup of the SQLite learner store while it is written to, and checked, atomic restore."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tutor.learner.backup import (
    BackupError,
    backup_sqlite,
    integrity_errors,
    list_backups,
    restore_sqlite,
    sqlite_path,
)
from tutor.learner.db import sqlite_url
from tutor.learner.store import LearnerStore
from tutor.types import Group


def _ids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM learners")}
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_while_another_thread_writes_then_restore_keeps_every_acknowledged_row(tmp_path: Path):
    db = tmp_path / "learners.sqlite3"
    store = LearnerStore(sqlite_url(db))
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            learner = store.create_learner(Group.NGUOI_DAN, consent=True)
            store.add_history(learner.id, "chat", {"question": "bật wifi thế nào", "n": len(acknowledged)})
            with lock:
                acknowledged.append(learner.id)  # only after both commits returned

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(acknowledged) < 60:
            time.sleep(0.01)
        with lock:
            before = list(acknowledged)
        backup = backup_sqlite(db, tmp_path / "backups")
        with lock:
            during = len(acknowledged)
        # The writer must go on after the backup: wait for its next write (30 s only guards against a hang).
        deadline = time.monotonic() + 30
        while len(acknowledged) <= during and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(10)
    assert len(acknowledged) > during >= len(before), "the writer stopped after the backup"

    assert integrity_errors(backup) == []
    assert not Path(f"{backup}-wal").exists()  # a self-contained file
    restored = restore_sqlite(backup, tmp_path / "restored" / "learners.sqlite3")
    assert integrity_errors(restored) == []
    ids = _ids(restored)
    assert set(before) <= ids, f"{len(set(before) - ids)} acknowledged learners missing from the backup"
    assert ids <= _ids(db)  # nothing that the live database does not hold
    # The restored file is a working store at the current schema.
    again = LearnerStore(sqlite_url(restored))
    assert again.get_learner(before[0]).id == before[0]
    assert again.history(before[-1])[0].kind == "chat"
    again.close()
    store.close()


def test_restore_over_a_live_database_replaces_it_and_discards_its_wal(tmp_path: Path):
    db = tmp_path / "learners.sqlite3"
    store = LearnerStore(sqlite_url(db))
    kept = store.create_learner(Group.HOC_SINH, consent=True)
    backup = backup_sqlite(db, tmp_path / "backups")
    later = store.create_learner(Group.HOC_SINH, consent=True)
    store.close()
    assert later.id in _ids(db)

    assert restore_sqlite(backup, db) == db
    assert integrity_errors(db) == []
    assert _ids(db) == {kept.id}  # the database as it was at the backup
    reopened = LearnerStore(sqlite_url(db))
    assert reopened.create_learner(Group.HOC_SINH, consent=True).id in _ids(db)
    reopened.close()


def test_a_damaged_backup_is_refused_and_the_live_database_is_untouched(tmp_path: Path):
    db = tmp_path / "learners.sqlite3"
    store = LearnerStore(sqlite_url(db))
    for _ in range(30):
        store.create_learner(Group.LAO_DONG, consent=True)
    store.close()
    backup = backup_sqlite(db, tmp_path / "backups")
    data = bytearray(backup.read_bytes())
    page = 4096
    data[2 * page : 4 * page] = b"\x5a" * (2 * page)  # scribble over two pages in the middle of the file
    backup.write_bytes(bytes(data))
    assert integrity_errors(backup)
    before = _digest(db)
    with pytest.raises(BackupError, match="hỏng"):
        restore_sqlite(backup, db)
    assert _digest(db) == before
    assert not list(tmp_path.glob(".*restore*"))

    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_text("không phải cơ sở dữ liệu " * 200, encoding="utf-8")
    with pytest.raises(BackupError):
        restore_sqlite(not_a_db, db)
    assert _digest(db) == before


def test_backups_are_timestamped_listed_oldest_first_and_only_for_sqlite(tmp_path: Path):
    db = tmp_path / "learners.sqlite3"
    LearnerStore(sqlite_url(db)).close()
    t = dt.datetime(2025, 3, 1, 10, 15, tzinfo=dt.UTC)
    first = backup_sqlite(db, tmp_path / "b", now=t)
    second = backup_sqlite(db, tmp_path / "b", now=t + dt.timedelta(seconds=1))
    assert first.name == "learners-20250301T101500000000Z.sqlite3"
    assert list_backups(tmp_path / "b") == [first, second]
    assert sqlite_path(sqlite_url(db)) == db.resolve()
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path("postgresql+psycopg://u@localhost/tutor")
    with pytest.raises(BackupError, match="Không thấy"):
        backup_sqlite(tmp_path / "missing.sqlite3", tmp_path / "b")
