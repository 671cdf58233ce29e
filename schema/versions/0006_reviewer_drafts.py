"""A draft of each kind per source message (room for a reviewer's notice or question);
consultation messages indexed by Message-ID, so a follow-up naming the asker's own
question finds its consultation; each draft's codes in a short column for the queue's
code filter.

Revision ID: 0006_reviewer_drafts
Revises: 0005_review_and_outbox
Create Date: 2026-12-04 08:20:37.835641
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reviewer_drafts"
down_revision: str | None = "0005_review_and_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_list", sa.Text(), server_default=sa.text("''"), nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_draft_inbound_message_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_draft_inbound_message_id_kind"), ["inbound_message_id", "kind"]
        )
    # A "Message-ID" over RFC 5322's 998 characters is no id, and would not fit a btree entry.
    op.execute(
        "UPDATE consultation_message SET message_id_header = NULL "
        "WHERE length(message_id_header) > 998"
    )
    _fill_code_lists()
    with op.batch_alter_table("consultation_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_message_message_id_header"), ["message_id_header"]
        )


def _fill_code_lists() -> None:
    # The same rule as consultant.consultations.new_rows.code_list, written out here:
    # a revision must keep doing what it did when it first ran, whatever the code becomes.
    connection = op.get_bind()
    draft = sa.table("draft", sa.column("id", sa.Integer), sa.column("facts", sa.JSON))
    for draft_id, facts in connection.execute(sa.select(draft.c.id, draft.c.facts)).all():
        listed = facts.get("codes") if isinstance(facts, dict) else None
        if not isinstance(listed, list) or not listed:
            continue
        codes = " ".join(str(c.get("code")) if isinstance(c, dict) else str(c) for c in listed)
        connection.execute(
            sa.text("UPDATE draft SET code_list = :codes WHERE id = :id"),
            {"codes": f" {codes} ", "id": draft_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_message_message_id_header"))
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_draft_inbound_message_id_kind"), type_="unique")
        batch_op.drop_column("code_list")
        batch_op.create_unique_constraint(
            batch_op.f("uq_draft_inbound_message_id"), ["inbound_message_id"]
        )
