"""Experiment results pages: each experiment's runs, claims, tables and figures.

A page can start a run. The run happens in a worker thread of the server,
one at a time per experiment and at most ``MAX_JOBS`` at once, and the page
polls its job until the result is in the store.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from actlab import experiments
from actlab.experiments.report import QUICK_LABEL, VERDICTS, format_seconds
from actlab.store import ExperimentRunRecord, Store, UnknownItemError

from ..deps import StoreDep
from ..formulas import DRAWING_LOCK
from ..schemas import ErrorBody, FieldError, JsonBody
from ..templating import templates

logger = logging.getLogger("actlab.web")
router = APIRouter(tags=["experiments"])

MAX_JOBS = 2
NOT_FOUND = {404: {"model": ErrorBody, "description": "experiment or run not found"}}
# Run ids are INTEGER keys, which PostgreSQL keeps in 32 bits and SQLite in
# 64, so a larger id is rejected before it reaches the database.
RUN_ID_MAX = 2**31 - 1
RunId = Annotated[
    int,
    PathParameter(ge=1, le=RUN_ID_MAX, description="the id of a stored run"),
]


class ClaimOut(BaseModel):
    """A claim, what was measured, and whether it held."""

    claim: str
    measured: str
    held: bool | None
    verdict: str


class RunSummary(BaseModel):
    """One stored run of an experiment."""

    id: int
    name: str
    started_at: datetime
    seconds: float
    duration: str = Field(description="the run's time for people, e.g. '85 ms'")
    quick: bool = Field(description="whether the run used the small preview settings")
    claims: list[ClaimOut]


class ExperimentOut(BaseModel):
    """An experiment and its latest stored run, if any."""

    name: str
    title: str
    summary: str
    source: str
    url: str
    latest: RunSummary | None


class RunRequest(JsonBody):
    """Start a run: the quick preview settings or the full defaults."""

    quick: bool = True


class JobOut(BaseModel):
    """A run started from the lab, while it runs and after."""

    id: str
    name: str
    state: Literal["running", "done", "failed"]
    step: str
    done: float = Field(ge=0.0, le=1.0)
    run_id: int | None = None
    error: str | None = None


@dataclass
class _Job:
    id: str
    name: str
    state: str = "running"
    step: str = "starting"
    done: float = 0.0
    run_id: int | None = None
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def out(self) -> JobOut:
        with self.lock:
            return JobOut(
                id=self.id,
                name=self.name,
                state=self.state,
                step=self.step,
                done=self.done,
                run_id=self.run_id,
                error=self.error,
            )


class _Jobs:
    """The runs started from the lab, by job id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, _Job] = {}

    def running(self) -> list[_Job]:
        return [job for job in self.jobs.values() if job.state == "running"]


def _jobs(request: Request) -> _Jobs:
    state = request.app.state
    if not hasattr(state, "experiment_jobs"):
        state.experiment_jobs = _Jobs()
    return state.experiment_jobs


def _error(status: int, field_name: str, message: str) -> JSONResponse:
    body = ErrorBody(
        detail=message,
        field=field_name,
        errors=[FieldError(field=field_name, message=message)],
    )
    return JSONResponse(body.model_dump(), status_code=status)


def _find(name: str) -> experiments.Experiment:
    try:
        return experiments.get(name)
    except KeyError as error:
        raise UnknownItemError(str(error.args[0])) from None


def _claims(result: dict[str, Any]) -> list[ClaimOut]:
    return [
        ClaimOut(
            claim=claim["claim"],
            measured=claim["measured"],
            held=claim["held"],
            verdict=VERDICTS[claim["held"]],
        )
        for claim in result.get("claims", [])
    ]


def _summary(run: ExperimentRunRecord) -> RunSummary:
    return RunSummary(
        id=run.id,
        name=run.name,
        started_at=run.started_at,
        seconds=run.seconds,
        duration=format_seconds(run.seconds),
        quick=experiments.is_quick(run.result),
        claims=_claims(run.result),
    )


def _experiment_out(experiment: experiments.Experiment, store: Store) -> ExperimentOut:
    runs = store.experiment_runs(experiment.name, limit=1)
    return ExperimentOut(
        name=experiment.name,
        title=experiment.title,
        summary=experiment.summary,
        source=experiment.source,
        url=f"/experiments/{experiment.name}",
        latest=_summary(runs[0]) if runs else None,
    )


# --- JSON ----------------------------------------------------------------------


@router.get("/api/experiments", response_model=list[ExperimentOut])
def list_experiments(store: StoreDep) -> list[ExperimentOut]:
    """List the experiments with their latest stored run."""
    return [_experiment_out(experiments.get(n), store) for n in experiments.names()]


@router.get(
    "/api/experiments/{name}/runs",
    response_model=list[RunSummary],
    responses=NOT_FOUND,
)
def list_runs(name: str, store: StoreDep) -> list[RunSummary]:
    """List an experiment's stored runs, newest first."""
    _find(name)
    return [_summary(run) for run in store.experiment_runs(name, limit=50)]


@router.get("/api/experiments/runs/{run_id}", responses=NOT_FOUND)
def read_run(run_id: RunId, store: StoreDep) -> dict[str, Any]:
    """Return one stored run's whole result: settings, seeds, versions, data."""
    run = store.experiment_run(run_id)
    return {"id": run.id, "name": run.name, "result": run.result}


@router.post(
    "/api/experiments/{name}/runs",
    response_model=JobOut,
    status_code=202,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorBody, "description": "a run of it is going already"},
        429: {"model": ErrorBody, "description": "too many runs at once"},
    },
)
def start_run(
    name: str,
    body: RunRequest,
    request: Request,
    store: StoreDep,
) -> JobOut | JSONResponse:
    """Start a run of ``name`` in the background; poll the job it returns."""
    experiment = _find(name)
    jobs = _jobs(request)
    with jobs.lock:
        running = jobs.running()
        if any(job.name == name for job in running):
            return _error(
                409, "name", f"a run of {name!r} is going already: wait for it"
            )
        if len(running) >= MAX_JOBS:
            return _error(
                429,
                "name",
                f"{len(running)} runs are going already: wait for one to finish",
            )
        job = _Job(uuid.uuid4().hex, name)
        jobs.jobs[job.id] = job
    settings = experiment.settings.quick() if body.quick else experiment.settings()
    thread = threading.Thread(
        target=_run_job,
        args=(job, settings, body.quick, store),
        daemon=True,
        name=f"run-{name}",
    )
    thread.start()
    logger.info("started run %s of experiment %s", job.id, name)
    return job.out()


def _run_job(job: _Job, settings: Any, quick: bool, store: Store) -> None:
    def report(step: str, done: float) -> None:
        with job.lock:
            job.step, job.done = step, min(max(done, 0.0), 1.0)

    try:
        result = experiments.run_experiment(
            job.name, settings, progress=report, quick=quick
        )
        run_id = store.save_experiment(
            job.name, result.to_dict(), result.started_at, result.seconds
        )
        with job.lock:
            job.state, job.done, job.step, job.run_id = "done", 1.0, "done", run_id
        logger.info("finished run %s of experiment %s", job.id, job.name)
    except Exception as error:  # the job reports it to the page
        logger.exception("run %s of experiment %s failed", job.id, job.name)
        with job.lock:
            job.state, job.error = "failed", f"{type(error).__name__}: {error}"


@router.get(
    "/api/experiments/jobs/{job_id}",
    response_model=JobOut,
    responses=NOT_FOUND,
)
def read_job(job_id: str, request: Request) -> JobOut | JSONResponse:
    """Return a started run's state and progress."""
    job = _jobs(request).jobs.get(job_id)
    if job is None:
        return _error(404, "job_id", f"job {job_id!r} not found: start a run first")
    return job.out()


# --- figures -------------------------------------------------------------------


FIGURE_CACHE_SIZE = 32
"""How many runs' drawn figures the server keeps in memory."""

_figure_cache: OrderedDict[tuple[str, int, str], tuple[bytes, ...]] = OrderedDict()
_figure_cache_lock = threading.Lock()


def draw_figures(run: ExperimentRunRecord) -> tuple[bytes, ...]:
    """Draw a stored run's figures with its experiment's ``plot``; return the PNGs.

    The result reaches ``plot`` with its keys in the order they were stored,
    as ``actlab run`` and ``actlab report`` pass it, because several plots
    take the order of bars, lines and colours from it.
    """
    result = experiments.ExperimentResult.from_dict(run.result)
    with tempfile.TemporaryDirectory() as folder, DRAWING_LOCK:
        paths = experiments.get(run.name).plot(result, Path(folder))
        return tuple(path.read_bytes() for path in paths)


def _figures(run: ExperimentRunRecord) -> tuple[bytes, ...]:
    # The sorted JSON is only the cache key: it changes when the stored
    # result does, whatever the order of its keys.
    key = (run.name, run.id, json.dumps(run.result, sort_keys=True))
    with _figure_cache_lock:
        if key in _figure_cache:
            _figure_cache.move_to_end(key)
            return _figure_cache[key]
    figures = draw_figures(run)
    with _figure_cache_lock:
        _figure_cache[key] = figures
        while len(_figure_cache) > FIGURE_CACHE_SIZE:
            _figure_cache.popitem(last=False)
    return figures


@router.get(
    "/experiments/runs/{run_id}/figures/{index}.png",
    responses=NOT_FOUND,
)
def figure(run_id: RunId, index: int, store: StoreDep) -> Response:
    """Return figure ``index`` of a stored run as PNG, drawn from its result."""
    run = store.experiment_run(run_id)
    figures = _figures(run)
    if not 0 <= index < len(figures):
        return _error(
            404,
            "index",
            f"figure {index} not found: run {run_id} has figures 0 to "
            f"{len(figures) - 1}",
        )
    return Response(
        figures[index],
        media_type="image/png",
        headers={"Cache-Control": "max-age=3600"},
    )


# --- pages ---------------------------------------------------------------------


@router.get("/experiments", response_class=HTMLResponse)
def experiments_page(request: Request, store: StoreDep) -> Response:
    """List the experiments, each with its latest claims."""
    context = {"entries": list_experiments(store)}
    return templates.TemplateResponse(request, "experiments.html", context)


@router.get("/experiments/{name}", response_class=HTMLResponse)
def experiment_page(
    request: Request,
    name: str,
    store: StoreDep,
    run: int | None = None,
) -> Response:
    """Show one experiment's run (the latest, or ``?run=ID``) and a way to run it."""
    try:
        experiment = _find(name)
    except UnknownItemError as error:
        context = {"entries": list_experiments(store), "message": str(error)}
        return templates.TemplateResponse(
            request, "experiments.html", context, status_code=404
        )
    runs = store.experiment_runs(name, limit=50)
    chosen = next((r for r in runs if r.id == run), None) if run else None
    message = None
    if run is not None and chosen is None:
        message = f"run {run} of {name!r} not found; showing the latest run"
    chosen = chosen or (runs[0] if runs else None)
    result = experiments.ExperimentResult.from_dict(chosen.result) if chosen else None
    context = {
        "experiment": experiment,
        "runs": [_summary(r) for r in runs],
        "run": chosen,
        "result": result,
        "claims": _claims(chosen.result) if chosen else [],
        "figures": range(len(_figures(chosen))) if chosen else range(0),
        "duration": format_seconds(chosen.seconds) if chosen else "",
        "quick": experiments.is_quick(chosen.result) if chosen else False,
        "quick_label": QUICK_LABEL,
        "message": message,
    }
    return templates.TemplateResponse(request, "experiment.html", context)
