"""Learner-store fixtures: a throwaway PostgreSQL 15 server, database URLs for SQLite and PostgreSQL, the real bank."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.learner.quizbank import QuizItem, load_quiz_bank
from tutor.learner.store import LearnerStore
from tutor.testing.service import free_port

ROOT = Path(__file__).resolve().parents[2]
REAL_QUIZ_DIR = ROOT / "corpus" / "quiz"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` OS user when we are root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--"]
    raise RuntimeError("running as root without runuser: cannot start PostgreSQL as the postgres user")


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Start a private PostgreSQL 15 on a free loopback port; yields the server URL without a database name."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (install postgresql-15 to run these tests)")
    pytest.importorskip("psycopg", reason="psycopg is needed for the PostgreSQL store tests")
    prefix = _as_postgres_user()
    # Not under pytest's tmp_path: its parents are 0700 root-owned and the postgres user could not enter them.
    base = Path(tempfile.mkdtemp(prefix="tutor-pg-"))
    data, log = base / "data", base / "server.log"
    if prefix:
        shutil.chown(base, user="postgres", group="postgres")
    port = free_port()
    _run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} -c fsync=off"
    _run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def _create_database(server_url: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = server_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a fresh database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'learners.sqlite3'}"
    return _create_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(db_url: str) -> Iterator[LearnerStore]:
    st = LearnerStore(db_url)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture(scope="session")
def real_bank() -> list[QuizItem]:
    return load_quiz_bank(REAL_QUIZ_DIR)
