"""Learner store, third schema: quiz-bank versions, the version each placement used, practice counts per domain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("proposal_sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("difficulties", sa.JSON(), nullable=False),
        sa.Column("n_changed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_versions")),
    )
    # Existing placements were placed by the written difficulties: version 0.
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("domain_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_right", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("practice_total", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("domain_levels", schema=None) as batch_op:
        batch_op.drop_column("practice_total")
        batch_op.drop_column("practice_right")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_column("bank_version")
    op.drop_table("bank_versions")
