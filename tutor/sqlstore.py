"""What every store over the learner database shares: one declarative Base (one metadata), UTC times, transactions.

The learner stores (tutor.learner) and the token store (tutor.auth) both build on it, so neither needs the other's
package for its tables: the token table refers to learners by foreign key only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

#: Stable constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime: SQLite returns naive ones, and every value we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Every table of the learner database: Alembic's autogenerate and the migration tests compare this metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Transactional:
    """Base of the stores over the learner database: each public method runs in one transaction (`_tx`)."""

    def __init__(self, engine: Engine) -> None:
        self._transactions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._transactions.begin() as tx:
            yield tx
