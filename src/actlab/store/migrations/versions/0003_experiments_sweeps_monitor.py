"""Experiment results, sweep cells and records of monitored PyTorch runs.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from actlab.store._types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiment_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
    )
    op.create_index("ix_experiment_runs_name", "experiment_runs", ["name"])
    op.create_index("ix_experiment_runs_started_at", "experiment_runs", ["started_at"])
    op.create_table(
        "sweep_cells",
        sa.Column("sweep", sa.String(200), primary_key=True),
        sa.Column("cell", sa.String(200), primary_key=True),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
    )
    op.create_table(
        "monitor_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run", sa.String(200), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
    )
    op.create_index("ix_monitor_records_run", "monitor_records", ["run"])


def downgrade() -> None:
    op.drop_table("monitor_records")
    op.drop_table("sweep_cells")
    op.drop_table("experiment_runs")
