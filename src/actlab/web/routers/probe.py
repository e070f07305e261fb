"""The gradient probe's WebSocket: train a small network and stream its units.

The client sends JSON messages on ``/ws/probe``:

- ``{"type": "start", "activation": "relu", "params": {}, "dataset": "circle",
  "seed": 0, ...}`` starts a run (and ends any run already going). The other
  optional fields are ``hidden``, ``learning_rate``, ``batch_size``, ``bias``,
  ``noise``, ``sample_size`` and ``steps_per_frame``.
- ``{"type": "stop"}`` ends the run.

The server replies ``{"type": "started", "config": {...}}``, then up to
``FRAMES_PER_SECOND`` frames a second of the form ``{"type": "probe", "step":
n, "loss": x, "layers": [[{"z_mean", "z", "gprime", "share"}, ...], ...]}``,
and ``{"type": "stopped", "step": n, "reason": ...}`` when the run ends. An
invalid message gets ``{"type": "error", "field": ..., "message": ...}`` and
leaves the socket open. Training runs in a worker thread, so the event loop
stays free, and the run ends when the socket closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import uuid
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actlab import probe

from ..origin import reject_foreign_origin

logger = logging.getLogger("actlab.web")
router = APIRouter(tags=["probe"])

FRAMES_PER_SECOND = 15
MAX_STEPS = 20_000
MAX_STEPS_PER_FRAME = 200


class StartMessage(BaseModel):
    """The ``start`` message: what to train, with the probe's defaults."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    activation: str = "relu"
    params: dict[str, float | int | str] = Field(default_factory=dict)
    dataset: str = "circle"
    seed: int = 0
    hidden: list[int] = Field(default_factory=lambda: [8, 8])
    learning_rate: float = 0.03
    batch_size: int = 10
    bias: float = 0.0
    noise: float = 0.0
    sample_size: int = 24
    steps_per_frame: int = Field(default=10, ge=1, le=MAX_STEPS_PER_FRAME)

    def to_config(self) -> probe.ProbeConfig:
        """Return the probe settings, or raise ``ProbeError`` naming the field."""
        return probe.ProbeConfig(
            activation=self.activation,
            params=self.params,
            dataset=self.dataset,
            seed=self.seed,
            hidden=tuple(self.hidden),
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            bias=self.bias,
            noise=self.noise,
            sample_size=self.sample_size,
        )


class InvalidMessage(ValueError):
    """A client message that the probe rejects, with the field at fault."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def parse_start(message: dict[str, Any]) -> StartMessage:
    """Validate a ``start`` message, or raise ``InvalidMessage``."""
    try:
        start = StartMessage.model_validate(message)
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"]]
        field = location[0] if location else None
        raise InvalidMessage(
            field,
            f"invalid {'.'.join(location)}={first.get('input')!r}: {first['msg']}",
        ) from None
    try:
        start.to_config()
    except probe.ProbeError as error:
        raise InvalidMessage(error.field, str(error)) from None
    except (ValueError, OverflowError) as error:
        raise InvalidMessage("params", str(error)) from None
    return start


# Probe sockets open at once in this process, and the limit on them: each one
# may train a network in a worker thread.
_OPEN: set[str] = set()
MAX_PROBES = 16
MAX_MESSAGE_CHARS = 10_000


def _error(field: str | None, message: str) -> dict[str, Any]:
    return {"type": "error", "field": field, "message": message}


class _Session:
    """One socket's probe run: at most one at a time, in a background task."""

    def __init__(self, socket: WebSocket):
        self.socket = socket
        self.id = uuid.uuid4().hex[:8]
        self.task: asyncio.Task | None = None
        self.run: probe.Probe | None = None
        # Frames from the run task and replies to messages share the socket.
        self.lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            await self.socket.send_json(message)

    async def start(self, start: StartMessage) -> None:
        await self.stop("restarted")
        self.run = await asyncio.to_thread(probe.Probe, start.to_config())
        await self.send(
            {"type": "started", "config": start.model_dump(exclude={"type"})}
        )
        self.task = asyncio.create_task(self._stream(self.run, start.steps_per_frame))
        logger.info("probe %s started: %s", self.id, start.model_dump_json())

    async def stop(self, reason: str, notify: bool = False) -> None:
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            logger.info("probe %s stopped (%s)", self.id, reason)
        if notify:
            step = self.run.step if self.run is not None else 0
            await self.send({"type": "stopped", "step": step, "reason": reason})

    async def _stream(self, run: probe.Probe, steps_per_frame: int) -> None:
        try:
            await self._frames(run, steps_per_frame)
        except (WebSocketDisconnect, RuntimeError) as error:
            # The client went away between two frames, and the receive loop
            # ends the session.
            logger.info("probe %s could not send a frame: %s", self.id, error)
        except Exception as error:
            logger.exception("probe %s failed at step %d", self.id, run.step)
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.send(_error(None, f"the probe run failed: {error}"))

    async def _frames(self, run: probe.Probe, steps_per_frame: int) -> None:
        interval = 1.0 / FRAMES_PER_SECOND
        loop = asyncio.get_running_loop()
        frame = await asyncio.to_thread(run.frame)
        while True:
            sent_at = loop.time()
            await self.send({"type": "probe", **frame.to_dict()})
            if not math.isfinite(frame.loss):
                reason = "the loss is no longer finite: lower the learning rate"
                await self._finish(run, reason)
                return
            if run.step >= MAX_STEPS:
                await self._finish(run, f"reached the limit of {MAX_STEPS} steps")
                return
            frame = await asyncio.to_thread(run.advance, steps_per_frame)
            await asyncio.sleep(max(0.0, interval - (loop.time() - sent_at)))

    async def _finish(self, run: probe.Probe, reason: str) -> None:
        logger.info("probe %s ended at step %d: %s", self.id, run.step, reason)
        await self.send({"type": "stopped", "step": run.step, "reason": reason})


async def _handle(session: _Session, message: Any) -> None:
    if not isinstance(message, dict):
        raise InvalidMessage("type", "invalid message: expected a JSON object")
    kind = message.get("type")
    if kind == "start":
        await session.start(parse_start(message))
    elif kind == "stop":
        await session.stop("stopped by the client", notify=True)
    else:
        raise InvalidMessage(
            "type", f"invalid type={kind!r}: expected 'start' or 'stop'"
        )


@router.websocket("/ws/probe")
async def probe_socket(socket: WebSocket) -> None:
    """Stream probe frames for the runs that the client starts and stops."""
    if await reject_foreign_origin(socket):
        return
    if len(_OPEN) >= MAX_PROBES:
        await socket.accept()
        await socket.send_json(
            _error(
                "session",
                f"too many probes are running ({MAX_PROBES}); close another "
                "explorer tab and try again",
            )
        )
        await socket.close(code=1013)
        return
    await socket.accept()
    session = _Session(socket)
    _OPEN.add(session.id)
    try:
        while True:
            received = await socket.receive()
            if received["type"] == "websocket.disconnect":
                break
            try:
                message = _decode(received.get("text"))
                await _handle(session, message)
            except InvalidMessage as error:
                logger.info("probe %s rejected a message: %s", session.id, error)
                await session.send(_error(error.field, str(error)[:500]))
    except WebSocketDisconnect:
        pass
    finally:
        _OPEN.discard(session.id)
        await session.stop("the socket closed")


def _decode(text: str | None) -> Any:
    if text is None:
        raise InvalidMessage(None, "invalid message: send JSON text, not binary")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidMessage(
            None, f"invalid message: longer than {MAX_MESSAGE_CHARS} characters"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidMessage(None, f"invalid message: not JSON ({error})") from None
    except (RecursionError, ValueError) as error:
        # Nesting too deep to parse, or an integer too long to convert.
        raise InvalidMessage(None, f"invalid message: {error}") from None


class ProbeOptions(BaseModel):
    """The choices and defaults of a ``start`` message, for the probe panel."""

    datasets: list[str]
    defaults: dict[str, Any]
    frames_per_second: int
    max_steps: int


@router.get("/api/probe/options", response_model=ProbeOptions)
def probe_options() -> ProbeOptions:
    """List the datasets the probe trains on and the defaults of ``start``."""
    defaults = StartMessage(type="start").model_dump(exclude={"type"})
    return ProbeOptions(
        datasets=probe.dataset_names(),
        defaults=defaults,
        frames_per_second=FRAMES_PER_SECOND,
        max_steps=MAX_STEPS,
    )
