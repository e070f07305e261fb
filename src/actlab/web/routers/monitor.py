"""Monitored PyTorch runs: the playground's panels for a run logged from a script.

A training script logs its records with ``actlab.monitor.Monitor`` into the
database that the lab reads. The lab only reads them: ``/monitor`` lists the
runs, ``/monitor/{run}`` draws one and polls
``/api/monitor/runs/{run}?after=STEP`` for the steps logged since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from actlab.store import MonitorRunSummary, Store

from ..schemas import ErrorBody
from ..templating import templates
from .cards import StoreDep, error_response

router = APIRouter(tags=["monitor"])

# The largest step that the store's step column holds: it is an INTEGER,
# which PostgreSQL keeps in 32 bits.
MAX_STEP = 2**31 - 1
POLL_SECONDS = 2
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown run"},
    422: {"model": ErrorBody, "description": "invalid query parameter"},
    503: {"model": ErrorBody, "description": "the database failed"},
}

AfterStep = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_STEP,
        description="return only the records of steps after this one",
    ),
]


class MonitorRunOut(BaseModel):
    """A monitored run: how many records it has and when they were logged."""

    run: str
    records: int
    last_step: int
    first_at: datetime
    last_at: datetime
    url: str = Field(description="the run's page in the lab")


class MonitorRecordOut(BaseModel):
    """One recorded training step."""

    step: int
    recorded_at: datetime
    stats: dict[str, Any] = Field(
        description="loss, activations (one entry per activation layer), weights "
        "(one entry per Linear or Conv layer) and thresholds"
    )


class MonitorRecordsOut(BaseModel):
    """A run's records after ``after``, by step."""

    run: str
    after: int | None
    last_step: int = Field(description="the run's last logged step")
    records: list[MonitorRecordOut]


def _find_run(store: Store, run: str) -> MonitorRunSummary | None:
    return next((item for item in store.monitor_runs() if item.run == run), None)


def _not_found(request: Request, run: str) -> Response:
    message = (
        f"monitored run {run!r} not found: GET /api/monitor/runs lists the "
        "runs in this lab's database"
    )
    return error_response(request, 404, "run", message)


def _run_out(summary: MonitorRunSummary) -> MonitorRunOut:
    return MonitorRunOut(
        run=summary.run,
        records=summary.records,
        last_step=summary.last_step,
        first_at=summary.first_at,
        last_at=summary.last_at,
        url=run_path("/monitor", summary.run),
    )


def run_path(prefix: str, run: str) -> str:
    """Return ``prefix/run`` with the run name percent-encoded, slashes too."""
    return f"{prefix}/{quote(run, safe='')}"


@router.get("/api/monitor/runs", response_model=list[MonitorRunOut])
def read_runs(store: StoreDep) -> list[MonitorRunOut]:
    """Return the monitored runs in the lab's database, most recently logged first."""
    return [_run_out(summary) for summary in store.monitor_runs()]


@router.get(
    "/api/monitor/runs/{run:path}", response_model=MonitorRecordsOut, responses=ERRORS
)
def read_run(
    request: Request, run: str, store: StoreDep, after: AfterStep = None
) -> Any:
    """Return a run's records by step, only those after step ``after`` if given."""
    summary = _find_run(store, run)
    if summary is None:
        return _not_found(request, run)
    records = store.monitor_records(run, after_step=after)
    return MonitorRecordsOut(
        run=run,
        after=after,
        last_step=summary.last_step,
        records=[MonitorRecordOut(**record) for record in records],
    )


@router.get("/monitor", response_class=HTMLResponse)
def monitor_index(request: Request, store: StoreDep) -> Response:
    """List the monitored runs, or show how to log one when there is none."""
    context = {"runs": read_runs(store), "message": None}
    return templates.TemplateResponse(request, "monitor_index.html", context)


@router.get("/monitor/{run:path}", response_class=HTMLResponse)
def monitor_run_page(request: Request, run: str, store: StoreDep) -> Response:
    """Draw one run's panels. The page then polls for the steps logged since."""
    summary = _find_run(store, run)
    if summary is None:
        context = {
            "runs": read_runs(store),
            "message": f"monitored run {run!r} not found: choose one of the runs "
            "below, or log one with actlab.monitor.Monitor",
        }
        return templates.TemplateResponse(
            request, "monitor_index.html", context, status_code=404
        )
    context = {
        "run": _run_out(summary),
        "api_url": run_path("/api/monitor/runs", run),
        "poll_seconds": POLL_SECONDS,
    }
    return templates.TemplateResponse(request, "monitor.html", context)
