"""Experiment results, sweep cells and monitor records: the lab's evidence.

These rows are measurements, not learner actions: an experiment run is added
once per run, a sweep cell once per cell (a second save of a finished cell
changes nothing, so a resumed sweep never counts a cell twice), and a
monitor record once per logged step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ._models import ExperimentRunRow, MonitorRecordRow, SweepCellRow


@dataclass(frozen=True)
class ExperimentRunRecord:
    """One stored run of an experiment: when, how long, and its result."""

    id: int
    name: str
    started_at: datetime
    seconds: float
    result: dict[str, Any]


@dataclass(frozen=True)
class MonitorRunSummary:
    """A monitored training run: how many steps were logged, and when."""

    run: str
    records: int
    last_step: int
    first_at: datetime
    last_at: datetime


def json_safe(value: Any) -> Any:
    """Return ``value`` as plain JSON values: NumPy to Python, NaN and inf to None.

    PostgreSQL's JSON type rejects NaN, so a non-finite float is stored as
    null; the caller reads null as "not measured".
    """
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def experiment_record(row: ExperimentRunRow) -> ExperimentRunRecord:
    return ExperimentRunRecord(
        row.id, row.name, row.started_at, row.seconds, dict(row.result)
    )


def save_cell(
    session: Session, sweep: str, cell: str, result: dict, at: datetime
) -> bool:
    if session.get(SweepCellRow, (sweep, cell)) is not None:
        return False
    session.add(
        SweepCellRow(sweep=sweep, cell=cell, finished_at=at, result=json_safe(result))
    )
    session.flush()
    return True


def monitor_runs(session: Session) -> list[MonitorRunSummary]:
    query = (
        select(
            MonitorRecordRow.run,
            func.count(),
            func.max(MonitorRecordRow.step),
            func.min(MonitorRecordRow.recorded_at),
            func.max(MonitorRecordRow.recorded_at),
        )
        .group_by(MonitorRecordRow.run)
        .order_by(func.max(MonitorRecordRow.recorded_at).desc())
    )
    return [MonitorRunSummary(*row) for row in session.execute(query)]
