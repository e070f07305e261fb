"""The failure-mode lab: trigger a scenario, diagnose, remedy, rerun.

Each scenario trains a small network in the engine. A run took from about
0.01 to 1.2 s on the development machine, so the endpoints are plain
functions, which FastAPI runs in its threadpool while the event loop serves
other requests. Numbers that are not finite, such as the activation growth of
a network whose first layer outputs only zeros, are sent as null.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from actlab import diagnostics, nn, practice
from actlab.store import Store

from ..curves import InvalidInput
from ..deps import get_store
from ..schemas import ErrorBody, JsonBody
from ..templating import templates
from .practice_page import ActionId, AttemptOut, Seed, check_same_kind, not_found

router = APIRouter(tags=["failures"])

NOT_FOUND = {404: {"model": ErrorBody, "description": "scenario not found"}}
ERRORS = {
    **NOT_FOUND,
    422: {"model": ErrorBody, "description": "invalid seed or choice"},
}
OptionId = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class OptionOut(BaseModel):
    """A diagnosis or remedy to choose, without whether it is right."""

    id: str
    text: str


class SetupOut(BaseModel):
    """The training setup that a scenario runs."""

    dataset: str
    sizes: list[int]
    loss: str
    hidden: str
    output: str
    initialiser: str | None
    weight_scale: float
    bias: float
    standardise: bool
    learning_rate: float
    epochs: int
    batch_size: int
    output_shown: str = Field(
        description="the output activation as the predictions see it: softmax or "
        "sigmoid where the loss applies it to the logits, else ``output``"
    )


class ScenarioSummary(BaseModel):
    """A scenario as the list of scenarios shows it."""

    id: str
    title: str
    summary: str
    url: str


class ScenarioDetail(ScenarioSummary):
    """A scenario with its criterion, setup and the options to choose from."""

    criterion: str
    setup: SetupOut
    diagnoses: list[OptionOut]
    remedies: list[OptionOut]


class LayerOut(BaseModel):
    """The statistics of one layer, null where a value does not apply."""

    index: int
    n_in: int
    n_out: int
    activation: str
    dead_fraction: float | None = Field(description="null if it cannot die")
    saturated_fraction: float | None = Field(description="null if it cannot saturate")
    grad_norm: float | None = Field(description="norm of the loss gradient for W")
    activation_std: float | None


class EpochOut(BaseModel):
    """The loss and metric over the training set after one epoch (0: before)."""

    epoch: int
    loss: float | None
    metric: float | None


class HistoryOut(BaseModel):
    """The per-epoch records of a run, starting with epoch 0."""

    loss_name: str
    metric_name: str
    epochs: list[EpochOut]


class RunOut(BaseModel):
    """One run of a scenario, with its statistics and the criterion's verdict."""

    scenario: str
    remedy: str | None = Field(description="null for the failing setup")
    seed: int
    criterion: str
    setup: SetupOut
    measures: dict[str, float | bool | None] = Field(
        description="the numbers that the criterion reads, the training metric "
        "and whether the run diverged"
    )
    failed: bool = Field(description="whether the failure shows in this run")
    recovered: bool | None = Field(description="null for the failing setup")
    diverged: bool = Field(description="whether the loss became non-finite")
    before: list[LayerOut] = Field(description="per-layer statistics at the start")
    after: list[LayerOut] = Field(description="per-layer statistics after training")
    history: HistoryOut | None = Field(
        description="null when the loss was not finite even before training"
    )


class TriggerRequest(JsonBody):
    """The seed of the failing run."""

    seed: Seed = 0


class ChoiceRequest(JsonBody):
    """A learner's diagnosis and remedy, and the seed to rerun with."""

    diagnosis: OptionId
    remedy: OptionId
    seed: Seed = 0
    action_id: ActionId | None = None


class ChoiceFeedback(BaseModel):
    """Whether one chosen option is right, and why."""

    id: str
    text: str
    correct: bool
    reason: str


class ChoiceOut(BaseModel):
    """The score of a choice, the reason for each part, and the remedied rerun."""

    score: float = Field(description="half a point each for diagnosis and remedy")
    failure: str = Field(description="the name of the scenario's failure")
    explanation: str = Field(description="how the failure arises")
    diagnosis: ChoiceFeedback
    remedy: ChoiceFeedback
    rerun: RunOut = Field(description="the setup with the remedy, same seed")
    attempt: AttemptOut


class ScenarioNotFound(LookupError):
    """A path names a scenario that the catalogue does not contain."""


def _unknown_message(scenario_id: str) -> str:
    return (
        f"scenario {scenario_id!r} not found: choose one of "
        f"{', '.join(practice.SCENARIOS)}"
    )


def _scenario(scenario_id: str) -> practice.Scenario:
    if scenario_id not in practice.SCENARIOS:
        raise ScenarioNotFound(_unknown_message(scenario_id))
    return practice.SCENARIOS[scenario_id]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# Losses that apply an output activation to the logits themselves.
_OUTPUT_IN_LOSS = {"softmax_ce": "softmax", "bce": "sigmoid"}


def _setup_out(setup: practice.Setup) -> SetupOut:
    shown = _OUTPUT_IN_LOSS.get(setup.loss, setup.output)
    fields = vars(setup) | {"sizes": list(setup.sizes), "output_shown": shown}
    return SetupOut(**fields)


def _summary(scenario: practice.Scenario) -> ScenarioSummary:
    return ScenarioSummary(
        id=scenario.id,
        title=scenario.title,
        summary=scenario.summary,
        url=f"/failures/{scenario.id}",
    )


def _detail(scenario: practice.Scenario) -> ScenarioDetail:
    def options(items: tuple[practice.Option, ...]) -> list[OptionOut]:
        return [OptionOut(id=option.id, text=option.text) for option in items]

    return ScenarioDetail(
        **_summary(scenario).model_dump(),
        criterion=scenario.criterion,
        setup=_setup_out(scenario.setup),
        diagnoses=options(scenario.diagnoses),
        remedies=options(scenario.remedies),
    )


def _layers(diagnosis: diagnostics.Diagnosis) -> list[LayerOut]:
    return [
        LayerOut(
            index=layer.index,
            n_in=layer.n_in,
            n_out=layer.n_out,
            activation=layer.activation,
            dead_fraction=_finite(layer.dead_fraction),
            saturated_fraction=_finite(layer.saturated_fraction),
            grad_norm=_finite(layer.grad_norm),
            activation_std=_finite(layer.activation_std),
        )
        for layer in diagnosis.layers
    ]


def _history(history: nn.History | None) -> HistoryOut | None:
    if history is None:
        return None
    records = [history.initial, *history.epochs]
    return HistoryOut(
        loss_name=history.loss_name,
        metric_name=history.metric_name,
        epochs=[
            EpochOut(
                epoch=record.epoch,
                loss=_finite(record.loss),
                metric=_finite(record.metric),
            )
            for record in records
        ],
    )


def _measures(
    measures: dict[str, float | bool], names: tuple[str, ...]
) -> dict[str, float | bool | None]:
    return {
        name: value if isinstance(value, bool) else _finite(float(value))
        for name, value in measures.items()
        if name in names
    }


def _run_out(result: practice.ScenarioResult) -> RunOut:
    # Only the measures that mean something for this scenario are sent, because
    # the share of outputs outside [0, 1], for one, is meaningless for logits.
    names = (*practice.SCENARIOS[result.scenario].reads, "metric", "diverged")
    return RunOut(
        scenario=result.scenario,
        remedy=result.remedy,
        seed=result.seed,
        criterion=result.criterion,
        setup=_setup_out(result.setup),
        measures=_measures(result.measures, names),
        failed=result.failed,
        recovered=result.recovered,
        diverged=bool(result.measures.get("diverged", False)),
        before=_layers(result.before),
        after=_layers(result.after),
        history=_history(result.history),
    )


def _feedback(option: practice.Option) -> ChoiceFeedback:
    return ChoiceFeedback(
        id=option.id, text=option.text, correct=option.correct, reason=option.reason
    )


def _chosen(
    scenario: practice.Scenario, diagnosis_id: str, remedy_id: str
) -> tuple[practice.ChoiceScore, practice.Option, practice.Option]:
    """Score a choice, or raise ``InvalidInput`` naming an unknown option."""
    diagnoses = {option.id: option for option in scenario.diagnoses}
    remedies = {option.id: option for option in scenario.remedies}
    if diagnosis_id not in diagnoses:
        raise InvalidInput(
            "diagnosis",
            f"unknown diagnosis {diagnosis_id!r} for scenario {scenario.id!r}: "
            f"choose one of {', '.join(diagnoses)}",
        )
    if remedy_id not in remedies:
        raise InvalidInput(
            "remedy",
            f"unknown remedy {remedy_id!r} for scenario {scenario.id!r}: "
            f"choose one of {', '.join(remedies)}",
        )
    score = scenario.score_choice(diagnosis_id, remedy_id)
    return score, diagnoses[diagnosis_id], remedies[remedy_id]


@router.get("/api/scenarios", response_model=list[ScenarioSummary])
def list_scenarios() -> list[ScenarioSummary]:
    """List the failure scenarios in catalogue order."""
    return [_summary(scenario) for scenario in practice.SCENARIOS.values()]


@router.get(
    "/api/scenarios/{scenario_id}", response_model=ScenarioDetail, responses=NOT_FOUND
)
def read_scenario(request: Request, scenario_id: str) -> ScenarioDetail | JSONResponse:
    """Return a scenario with its options, without saying which are right."""
    try:
        return _detail(_scenario(scenario_id))
    except ScenarioNotFound as error:
        return not_found(request, "id", str(error))


@router.post(
    "/api/scenarios/{scenario_id}/trigger", response_model=RunOut, responses=ERRORS
)
def trigger_scenario(
    request: Request, scenario_id: str, body: TriggerRequest
) -> RunOut | JSONResponse:
    """Train the failing setup with the seed and return its statistics."""
    try:
        scenario = _scenario(scenario_id)
    except ScenarioNotFound as error:
        return not_found(request, "id", str(error))
    return _run_out(scenario.trigger(body.seed))


@router.post(
    "/api/scenarios/{scenario_id}/choose", response_model=ChoiceOut, responses=ERRORS
)
def choose_remedy(
    request: Request,
    scenario_id: str,
    body: ChoiceRequest,
    store: Annotated[Store, Depends(get_store)],
) -> ChoiceOut | JSONResponse:
    """Score a diagnosis and a remedy, record the attempt, rerun with the remedy.

    A repeated ``action_id`` stores nothing new, and the response repeats the
    choice and seed stored the first time.
    """
    try:
        scenario = _scenario(scenario_id)
    except ScenarioNotFound as error:
        return not_found(request, "id", str(error))
    score, diagnosis, remedy = _chosen(scenario, body.diagnosis, body.remedy)
    record = store.record_attempt(
        "scenario",
        scenario.id,
        score=score.score,
        correct=score.diagnosis_correct and score.remedy_correct,
        concept=scenario.concept,
        detail={
            "seed": body.seed,
            "diagnosis": diagnosis.id,
            "remedy": remedy.id,
        },
        action_id=body.action_id,
    )
    seed = body.seed
    if record.duplicate:
        check_same_kind(record, "scenario")
        first = record.detail
        scenario = _scenario(record.item_id)
        score, diagnosis, remedy = _chosen(
            scenario, first["diagnosis"], first["remedy"]
        )
        seed = int(first["seed"])
    return ChoiceOut(
        score=score.score,
        failure=scenario.failure,
        explanation=scenario.explanation,
        diagnosis=_feedback(diagnosis),
        remedy=_feedback(remedy),
        rerun=_run_out(scenario.apply(remedy.id, seed)),
        attempt=AttemptOut(
            id=record.id, action_id=record.action_id, duplicate=record.duplicate
        ),
    )


@router.get("/failures", response_class=HTMLResponse)
def failures_page(request: Request) -> Response:
    """List the failure scenarios, each linking to its four-step page."""
    context = {"scenarios": list_scenarios(), "message": None}
    return templates.TemplateResponse(request, "failures.html", context)


@router.get("/failures/{scenario_id}", response_class=HTMLResponse)
def failure_page(request: Request, scenario_id: str) -> Response:
    """Render one scenario's four steps, or a 404 page listing the scenarios."""
    try:
        scenario = _scenario(scenario_id)
    except ScenarioNotFound as error:
        context = {"scenarios": list_scenarios(), "message": str(error)}
        return templates.TemplateResponse(
            request, "failures.html", context, status_code=404
        )
    context = {"scenario": _detail(scenario)}
    return templates.TemplateResponse(request, "failure.html", context)
