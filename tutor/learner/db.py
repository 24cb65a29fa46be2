"""Engines for the learner store (SQLite pragmas on connect) and Alembic migrations run from code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tutor.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (the default store: `<data_dir>/learners.sqlite3`)."""
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; synchronous=FULL makes a commit durable on power loss;
    # foreign_keys enforces ON DELETE CASCADE; secure_delete overwrites deleted rows with zeros, so a
    # learner's deleted data does not linger in free pages of the file.
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA busy_timeout=5000")
    finally:
        cur.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL (e.g. `sqlite:///…`, `postgresql+psycopg://…`)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"Địa chỉ cơ sở dữ liệu học viên không hợp lệ: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    except (ImportError, SQLAlchemyError) as exc:
        raise ConfigError(
            f"Không mở được cơ sở dữ liệu học viên {parsed.render_as_string(hide_password=True)}: {exc}. "
            "Với PostgreSQL dùng postgresql+psycopg://… và cài psycopg[binary]."
        ) from exc


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic Config built in code: no alembic.ini. env.py takes the engine from `attributes`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (creates every table on an empty database)."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise ConfigError(f"Không cập nhật được lược đồ cơ sở dữ liệu học viên: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
