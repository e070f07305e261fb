"""The playground's WebSocket ``/ws/playground`` and its small JSON endpoints.

The page route ``/playground`` and its template live in another router. The
session logic is ``actlab.playground``; this module only moves messages,
schedules training slices off the event loop and logs. The message protocol
is documented in ``actlab.playground``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from actlab import playground as pg

from ..curves import InvalidInput
from ..origin import reject_foreign_origin

logger = logging.getLogger("actlab.web.playground")
router = APIRouter(tags=["playground"])

OUTPUT_MAP_SIZE = 50
UNIT_MAP_SIZE = 20
MAX_MESSAGE_CHARS = 4 * 2**20
MAX_STEP_EPOCHS = 1000
# A step trains for at most MAX_STEP_SECONDS, and the steps of one socket for
# at most STEP_WINDOW_BUDGET seconds in any STEP_WINDOW_SECONDS, so queued
# step messages cannot keep a worker busy after their page has gone.
MAX_STEP_SECONDS = 3.0
STEP_WINDOW_SECONDS = 10.0
STEP_WINDOW_BUDGET = 5.0
CLOSE_TRY_AGAIN_LATER = 1013
# Once a page acknowledges frames, at most FRAME_WINDOW of its frames are
# unacknowledged at a time, because the play loop waits for an ack before it
# trains the next slice. Without this, a page that draws more slowly than the
# server sends (a long history in its charts) falls seconds behind, and its
# Pause acts on a network that has trained far past what the page shows.
FRAME_WINDOW = 2
MAX_COUNTER = 2**53
# The close reason of a socket whose session expired, which the page explains.
IDLE_CLOSE_REASON = "idle"


def get_manager(app: FastAPI) -> pg.SessionManager:
    """Return the app's session manager, creating it from the settings once."""
    manager = getattr(app.state, "playground", None)
    if manager is None:
        settings = app.state.settings
        manager = pg.SessionManager(
            max_sessions=settings.playground_max_sessions,
            idle_timeout=settings.playground_idle_seconds,
        )
        app.state.playground = manager
    return manager


@router.get("/api/playground/state")
def read_state(request: Request) -> dict[str, Any]:
    """Check a playground URL query and return the normalised state.

    Responds with 422 naming the first invalid key.
    """
    query = dict(request.query_params.items())
    for key in {key for key, _ in request.query_params.multi_items()}:
        if len(request.query_params.getlist(key)) > 1:
            raise InvalidInput(
                key, f"invalid query: {key} is given twice, give it once"
            )
    try:
        state = pg.PlaygroundState.from_query(query)
    except pg.InvalidField as error:
        raise InvalidInput(error.field, str(error)) from None
    normalised = state.to_query()
    return {"state": normalised, "query": urlencode(normalised)}


@router.get("/api/playground/options")
def read_options() -> dict[str, Any]:
    """List the choices of every playground control, from the registries."""
    return {
        "datasets": list(pg.DATASETS),
        "features": [
            {"name": name, "label": pg.FEATURE_LABELS[name]} for name in pg.FEATURES
        ],
        "hidden_activations": list(pg.hidden_activation_names()),
        "outputs": list(pg.output_activation_names()),
        "losses": ["auto", "bce", "mse", "softmax_ce"],
        "optimisers": ["sgd", "momentum", "adam"],
        "learning_rates": list(pg.LEARNING_RATES),
        "regularisers": ["none", "l1", "l2"],
        "regularisation_rates": list(pg.REGULARISATION_RATES),
        "initialisers": list(pg.initialiser_choices()),
        "defaults": pg.PlaygroundState().to_query(),
    }


@router.websocket("/ws/playground")
async def playground_socket(websocket: WebSocket) -> None:
    """Run one playground session for the lifetime of the socket."""
    if await reject_foreign_origin(websocket):
        return
    await websocket.accept()
    manager = get_manager(websocket.app)
    try:
        session = await asyncio.to_thread(manager.create)
    except pg.SessionLimitReached as error:
        logger.warning("rejected a playground socket: %s", error)
        await websocket.send_text(_error("session", str(error)))
        await websocket.close(code=CLOSE_TRY_AGAIN_LATER)
        return
    logger.info("playground session %s started", session.id)
    connection = Connection(websocket, manager, session, _slots(websocket.app))
    try:
        await connection.run()
    finally:
        connection.stop()
        manager.close(session.id)
        logger.info(
            "playground session %s stopped at epoch %d", session.id, session.epoch
        )


def _error(field: str, message: str) -> str:
    return json.dumps({"type": "error", "field": field, "message": message})


def _json(message: dict[str, Any]) -> str:
    # Frames replace non-finite numbers by null themselves; allow_nan=False
    # makes any that slipped through an error here instead of invalid JSON.
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


class Connection:
    """The tasks of one socket: receive controls, play, and watch for idleness."""

    def __init__(
        self,
        websocket: WebSocket,
        manager: pg.SessionManager,
        session: pg.Session,
        slots: asyncio.Semaphore,
    ):
        self.websocket = websocket
        self.slots = slots
        self.manager = manager
        self.session = session
        self.grid = pg.Grid.build(OUTPUT_MAP_SIZE, UNIT_MAP_SIZE)
        self.send_lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.step_window_start = 0.0
        self.step_seconds_used = 0.0
        # Frame numbers for acknowledgements, and the page's last play or
        # pause counter, which every frame echoes.
        self.frame_numbers = itertools.count(1)
        self.last_frame_sent = 0
        self.last_frame_acknowledged = 0
        self.acknowledges_frames = False
        self.acknowledged = asyncio.Event()
        self.control = 0
        self.handlers = {
            "configure": self.on_configure,
            "play": self.on_play,
            "pause": self.on_pause,
            "step": self.on_step,
            "reset": self.on_reset,
            "set": self.on_set,
            "edit_weight": self.on_edit_weight,
            "regenerate": self.on_regenerate,
            "visibility": self.on_visibility,
            "export": self.on_export,
            "upload_csv": self.on_upload_csv,
            "ping": self.on_ping,
            "ack": self.on_ack,
        }

    async def run(self) -> None:
        self.tasks = [
            asyncio.create_task(self.play_loop()),
            asyncio.create_task(self.watch_idle()),
        ]
        await self.send_ready(with_frame=True, with_data=True)
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.manager.touch(self.session.id)
            await self.handle(message.get("text"), message.get("bytes"))

    def stop(self) -> None:
        self.session.playing = False
        for task in self.tasks:
            task.cancel()

    async def send(self, text: str) -> None:
        async with self.send_lock:
            if self.websocket.application_state is WebSocketState.CONNECTED:
                # The page may go away between the check and the send; the
                # receive loop then gets the disconnect and ends the session.
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.websocket.send_text(text)

    async def send_error(self, field: str, message: str) -> None:
        logger.info(
            "playground session %s: rejected %s: %s", self.session.id, field, message
        )
        await self.send(_error(field, message))

    # --- dispatch ------------------------------------------------------------

    async def handle(self, text: str | None, data: bytes | None) -> None:
        """Parse one message and run its handler; every failure becomes an error."""
        try:
            message = self.parse(text, data)
            kind = message.get("type")
            handler = self.handlers.get(kind) if isinstance(kind, str) else None
            if handler is None:
                raise pg.InvalidField(
                    "type",
                    f"unknown request type {kind!r}: use one of "
                    f"{', '.join(self.handlers)}",
                )
            await handler(message)
        except pg.InvalidField as error:
            await self.send_error(error.field, str(error))
        except Exception:
            logger.exception(
                "playground session %s: failed to handle a message", self.session.id
            )
            await self.send(
                _error("type", "the server failed to handle this request; see its log")
            )

    def parse(self, text: str | None, data: bytes | None) -> dict[str, Any]:
        if text is None:
            raise pg.InvalidField(
                "message", "invalid request: send JSON text, not binary data"
            )
        if len(text) > MAX_MESSAGE_CHARS:
            raise pg.InvalidField(
                "message",
                f"request too long: {len(text)} characters, "
                f"at most {MAX_MESSAGE_CHARS}",
            )
        try:
            message = json.loads(
                text, parse_constant=_reject_constant, parse_int=_bounded_int
            )
        except _NumberTooLong as error:
            raise pg.InvalidField("message", str(error)) from None
        except (ValueError, RecursionError):
            raise pg.InvalidField(
                "message", "invalid request: not valid JSON text"
            ) from None
        if not isinstance(message, dict):
            raise pg.InvalidField(
                "message", "invalid request: expected a JSON object with a type"
            )
        return message

    # --- sending state -------------------------------------------------------

    async def send_ready(self, with_frame: bool, with_data: bool = False) -> None:
        session = self.session
        state = session.state.to_query()
        network = await asyncio.to_thread(session.network_message)
        await self.send(
            _json(
                {
                    "type": "ready",
                    "session": session.id,
                    "state": state,
                    "query": urlencode(state),
                    "network": network,
                }
            )
        )
        if with_data:
            await self.send(_json(await asyncio.to_thread(session.data_message)))
        if with_frame:
            await self.send_frame(full=True)

    async def send_frame(self, full: bool = False) -> None:
        text, number = await asyncio.to_thread(self.frame_text, full)
        await self.send_numbered(text, number)

    async def send_numbered(self, text: str, number: int) -> None:
        # Counted before the send, so that an ack that arrives while the
        # send is still waiting is not clamped to the previous frame.
        self.last_frame_sent = max(self.last_frame_sent, number)
        await self.send(text)

    def frame_text(self, full: bool = False) -> tuple[str, int]:
        """Return a frame as JSON text, and its number."""
        # The control counter is read before the frame, and the handlers of
        # play and pause set ``playing`` before the counter, so a frame that
        # carries a new counter also carries the state that it set.
        control = self.control
        message = self.session.frame(self.grid, full=full)
        number = next(self.frame_numbers)
        message.update(seq=number, control=control)
        return _json(message), number

    # --- playing -------------------------------------------------------------

    async def play_loop(self) -> None:
        """Train in slices and send a frame after each, while playing and visible."""
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            if not (self.session.playing and self.session.visible):
                self.wake.clear()
                continue
            if self.frames_in_flight() >= FRAME_WINDOW:
                self.acknowledged.clear()
                await self.acknowledged.wait()
                continue
            started = loop.time()
            async with self.slots:
                budget = self.manager.slice()
                began = loop.time()
                try:
                    text, number, reason = await asyncio.to_thread(
                        self.play_slice, budget
                    )
                except Exception as error:
                    logger.exception(
                        "playground session %s: training slice failed",
                        self.session.id,
                    )
                    self.session.playing = False
                    await self.send_paused(
                        f"training stopped because a step failed ({error}); "
                        "reset the run or lower the learning rate"
                    )
                    continue
                finally:
                    self.manager.note_slice(loop.time() - began)
            if reason is not None:
                await self.send_numbered(text, number)
                await self.send_paused(reason)
            elif self.session.playing and self.session.visible:
                # A pause or a hidden page during the slice drops its frame,
                # so no frame follows the one that the pause sent.
                await self.send_numbered(text, number)
            delay = self.manager.frame_interval() - (loop.time() - started)
            await asyncio.sleep(max(delay, 0.0))

    def play_slice(self, budget: float) -> tuple[str, int, str | None]:
        """Train for ``budget`` seconds.

        Returns the frame's text and number, and why the run diverged.
        """
        with self.session.lock:
            reason = None
            if self.session.playing and self.session.visible:
                _, reason = self.session.train_for(budget)
            text, number = self.frame_text()
            return text, number, reason

    def frames_in_flight(self) -> int:
        """Return how many sent frames the page has not acknowledged yet.

        Always 0 for a page that has never sent an ``ack``.
        """
        if not self.acknowledges_frames:
            return 0
        return self.last_frame_sent - self.last_frame_acknowledged

    async def send_paused(self, reason: str) -> None:
        logger.info("playground session %s paused: %s", self.session.id, reason)
        await self.send(_json({"type": "paused", "reason": reason}))

    def update_wake(self) -> None:
        if self.session.playing and self.session.visible:
            self.wake.set()

    async def watch_idle(self) -> None:
        """Close the socket once the manager has expired this session."""
        period = min(5.0, max(self.manager.idle_timeout / 4, 0.05))
        while True:
            await asyncio.sleep(period)
            for session_id in self.manager.expire_idle():
                logger.info("playground session %s expired after idling", session_id)
            if self.session.id not in self.manager:
                await self.websocket.close(code=1000, reason=IDLE_CLOSE_REASON)
                return

    # --- handlers ------------------------------------------------------------

    async def on_configure(self, message: dict[str, Any]) -> None:
        control = _counter(message, "control", self.control)
        try:
            state = pg.PlaygroundState.from_query(_field(message, "state", dict))
            await asyncio.to_thread(self.session.configure, state)
        finally:
            # A rejected configure leaves the session as it was, playing or
            # not, and its frames must reach the page all the same.
            self.control = control
        await self.send_ready(with_frame=True, with_data=True)

    async def on_play(self, message: dict[str, Any]) -> None:
        control = _counter(message, "control", self.control)
        self.session.playing = True
        self.control = control
        self.update_wake()

    async def on_pause(self, message: dict[str, Any]) -> None:
        control = _counter(message, "control", self.control)
        self.session.playing = False
        self.control = control
        await self.send_frame()

    async def on_ack(self, message: dict[str, Any]) -> None:
        number = _counter(message, "frame", None)
        self.acknowledges_frames = True
        acknowledged = min(number, self.last_frame_sent)
        if acknowledged > self.last_frame_acknowledged:
            self.last_frame_acknowledged = acknowledged
            self.acknowledged.set()

    async def on_step(self, message: dict[str, Any]) -> None:
        epochs = message.get("epochs", 1)
        if isinstance(epochs, bool) or not isinstance(epochs, int):
            epochs = -1
        if not 1 <= epochs <= MAX_STEP_EPOCHS:
            raise pg.InvalidField(
                "epochs",
                f"invalid number of epochs {message.get('epochs')!r}: expected "
                f"an integer from 1 to {MAX_STEP_EPOCHS}",
            )
        self.session.playing = False
        now = asyncio.get_running_loop().time()
        if now - self.step_window_start > STEP_WINDOW_SECONDS:
            self.step_window_start, self.step_seconds_used = now, 0.0
        budget = min(MAX_STEP_SECONDS, STEP_WINDOW_BUDGET - self.step_seconds_used)
        if budget <= 0:
            raise pg.InvalidField(
                "epochs",
                f"too many steps: stepping may use {STEP_WINDOW_BUDGET:g} s of "
                f"training in {STEP_WINDOW_SECONDS:g} s; wait a moment or press play",
            )
        async with self.slots:
            began = asyncio.get_running_loop().time()
            done, reason = await asyncio.to_thread(
                self.session.train_for, budget, epochs
            )
            self.step_seconds_used += asyncio.get_running_loop().time() - began
        await self.send_frame()
        if reason is not None:
            await self.send_paused(reason)
        elif done < epochs:
            await self.send_error(
                "epochs",
                f"stopped after {done} of {epochs} epochs: one step trains for at "
                f"most {MAX_STEP_SECONDS:g} s; press step again to go on",
            )

    async def on_reset(self, message: dict[str, Any]) -> None:
        control = _counter(message, "control", self.control)
        await asyncio.to_thread(self.session.reset)
        self.control = control
        await self.send_ready(with_frame=True)

    async def on_set(self, message: dict[str, Any]) -> None:
        keys = set(message) - {"type"}
        allowed = {"lr", "reg", "rate", "batch"}
        if not keys or keys - allowed:
            extra = ", ".join(sorted(keys - allowed)) or "nothing"
            raise pg.InvalidField(
                next(iter(sorted(keys - allowed)), "type"),
                f"cannot change {extra} during a run: only the learning rate "
                "(lr), regularisation (reg, rate) and batch size (batch) change live",
            )
        # Check every value before applying any, so a bad one changes nothing.
        checked = self.session.state.replace(
            **{key: message[key] for key in keys if key != "type"}
        )
        await asyncio.to_thread(self.apply_set, checked, keys)
        await self.send_ready(with_frame=False)

    def apply_set(self, checked: pg.PlaygroundState, keys: set[str]) -> None:
        session = self.session
        with session.lock:
            if "lr" in keys:
                session.set_learning_rate(checked.lr)
            if "reg" in keys or "rate" in keys:
                session.set_regularisation(checked.reg, checked.rate)
            if "batch" in keys:
                session.set_batch(checked.batch)

    async def on_edit_weight(self, message: dict[str, Any]) -> None:
        for key in ("layer", "from", "to", "value"):
            _field(message, key, object)
        await asyncio.to_thread(
            self.session.edit_weight,
            message["layer"],
            message["from"],
            message["to"],
            message["value"],
        )
        await self.send_ready(with_frame=True)

    async def on_regenerate(self, message: dict[str, Any]) -> None:
        await asyncio.to_thread(self.session.regenerate)
        await self.send(_json(await asyncio.to_thread(self.session.data_message)))
        await self.send_frame()

    async def on_visibility(self, message: dict[str, Any]) -> None:
        self.session.visible = _field(message, "visible", bool)
        self.update_wake()

    async def on_export(self, message: dict[str, Any]) -> None:
        fmt = _field(message, "format", str)
        if fmt not in pg.FORMATS:
            raise pg.InvalidField(
                "format", f"invalid export format {fmt!r}: choose json or pytorch"
            )
        reply = await asyncio.to_thread(pg.export, self.session, fmt)
        await self.send(_json(reply))

    async def on_upload_csv(self, message: dict[str, Any]) -> None:
        text = _field(message, "text", str)
        target = _field(message, "target", str)
        await asyncio.to_thread(self.session.upload_csv, text, target)
        await self.send_ready(with_frame=True, with_data=True)

    async def on_ping(self, message: dict[str, Any]) -> None:
        await self.send(_json({"type": "pong"}))


class _NumberTooLong(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    """Parse a JSON integer, rejecting one too long for any control to accept."""
    if len(digits.lstrip("-")) > 30:
        raise _NumberTooLong(
            f"invalid request: the integer {digits[:20]}... has {len(digits)} "
            "digits; no control takes more than 30"
        )
    return int(digits)


def _counter(message: dict[str, Any], key: str, default: int | None) -> int:
    """Return the non-negative integer ``message[key]``, or ``default`` if absent."""
    if key not in message and default is not None:
        return default
    value = _field(message, key, int)
    if not 0 <= value <= MAX_COUNTER:
        raise pg.InvalidField(
            key,
            f"invalid {_KEY_NAMES[key].removeprefix('the ')} ('{key}') {value}: "
            f"expected an integer from 0 to {MAX_COUNTER}",
        )
    return value


def _field(message: dict[str, Any], key: str, kind: type) -> Any:
    described = f"{_KEY_NAMES.get(key, key)} ('{key}')"
    if key not in message:
        raise pg.InvalidField(key, f"missing {described}")
    value = message[key]
    if kind is bool and not isinstance(value, bool):
        raise pg.InvalidField(
            key, f"invalid {described}: {value!r} is not true or false"
        )
    # JSON true and false are not numbers, although Python's bool is an int.
    if kind is int and not (isinstance(value, int) and not isinstance(value, bool)):
        raise pg.InvalidField(
            key, f"invalid {described}: {json.dumps(value)} is not an integer"
        )
    if kind is not object and not isinstance(value, kind):
        raise pg.InvalidField(
            key, f"invalid {described}: {value!r} is not a {_KIND_NAMES[kind]}"
        )
    return value


_KIND_NAMES = {dict: "JSON object", str: "string", bool: "boolean"}
# Message keys as an error names them to the learner.
_KEY_NAMES = {
    "state": "the settings",
    "layer": "the layer",
    "from": "the source unit",
    "to": "the target unit",
    "value": "the new weight",
    "visible": "the page visibility",
    "format": "the export format",
    "text": "the file's text",
    "target": "the target column",
    "control": "the control counter",
    "frame": "the acknowledged frame number",
}


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _slots(app: FastAPI) -> asyncio.Semaphore:
    # At most max_parallel training slices run at once across all sessions of
    # the app. The semaphore belongs to the event loop that created it.
    loop = asyncio.get_running_loop()
    slots = getattr(app.state, "playground_slots", None)
    if slots is None or slots[0] is not loop:
        parallel = get_manager(app).budget.max_parallel
        slots = (loop, asyncio.Semaphore(parallel))
        app.state.playground_slots = slots
    return slots[1]
