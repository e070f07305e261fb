"""Practice attempts, sections done, and practice reviews in the log.

The first schema logged only reviews that moved a schedule. This one marks
practice reviews, which leave the schedule alone; existing rows are not
practice. It adds the attempts of drills, ordering, scenarios and interview
answers, and the lesson sections a learner has finished.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from actlab.store._types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(
            sa.Column(
                "practice", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("concept", sa.String(200), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_attempts_kind", "attempts", ["kind"])
    op.create_index("ix_attempts_concept", "attempts", ["concept"])
    op.create_index("ix_attempts_created_at", "attempts", ["created_at"])
    op.create_table(
        "sections_done",
        sa.Column("lesson", sa.String(200), primary_key=True),
        sa.Column("section", sa.String(200), primary_key=True),
        sa.Column("action_id", sa.String(64), nullable=False, unique=True),
        sa.Column("done_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sections_done")
    op.drop_table("attempts")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("practice")
