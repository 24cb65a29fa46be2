"""Alembic environment of the learner store: takes the engine that tutor.learner.db passes in code."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from tutor.learner.db import make_engine
from tutor.learner.models import Base

config = context.config
target_metadata = Base.metadata


def _run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("tutor.learner migrations need an engine (tutor.learner.db.upgrade) or sqlalchemy.url")
        engine = make_engine(url)
    with engine.connect() as connection:
        # render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table instead.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
