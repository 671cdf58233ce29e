"""Curated coding notes: each a release's row with its codes, dates, text and public source.

Revision ID: 0007_coding_notes
Revises: 0006_reviewer_drafts
Create Date: 2026-12-06 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_coding_notes"
down_revision: str | None = "0006_reviewer_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coding_note",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("citation_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["data_release.id"],
            name=op.f("fk_coding_note_release_id_data_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coding_note")),
        sa.UniqueConstraint(
            "release_id", "note_id", name=op.f("uq_coding_note_release_id_note_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("coding_note")
