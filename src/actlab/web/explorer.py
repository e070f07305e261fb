"""The explorer page's view state, read and checked from its URL query.

The query has the form ``?show=relu,tanh&start=-6&stop=6&z=0.5`` followed by
one ``<activation>.<parameter>=<value>`` field per parameter that differs from
its default. Invalid parts are dropped, each with a message for the page, so a
broken link still opens a working view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from actlab import activations

from . import curves

STATE_FIELDS = ("show", "start", "stop", "z")
# Entries selected when the query has no ``show`` field.
DEFAULT_SELECTED = 3


@dataclass
class ExplorerState:
    """The explorer's view, with a message for each URL part that was dropped."""

    selected: list[str]
    start: float = curves.DEFAULT_START
    stop: float = curves.DEFAULT_STOP
    z: float = 0.0
    # Parameter values by activation name, for those the URL sets.
    params: dict[str, dict[str, float | int | str]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def read_state(query: Iterable[tuple[str, str]]) -> ExplorerState:
    """Build the explorer state from the URL query ``(key, value)`` pairs."""
    items = list(query)
    messages: list[str] = []
    state = ExplorerState(selected=_read_selected(items, messages), messages=messages)
    _read_interval(state, items)
    _read_z(state, items)
    _read_params(state, items)
    return state


def _values(items: list[tuple[str, str]], key: str) -> list[str]:
    return [value for name, value in items if name == key]


def _ignored(message: str) -> str:
    return f"{message} (this part of the URL was ignored)"


def _requested_names(items: list[tuple[str, str]]) -> list[str] | None:
    values = _values(items, "show")
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",")]


def _read_selected(items: list[tuple[str, str]], messages: list[str]) -> list[str]:
    requested = _requested_names(items)
    if requested is None:
        return activations.names()[:DEFAULT_SELECTED]
    selected: list[str] = []
    for name in filter(None, requested):
        try:
            canonical = activations.spec(name).name
        except ValueError as error:
            messages.append(_ignored(str(error)))
            continue
        if canonical not in selected:
            selected.append(canonical)
    return selected


def _read_interval(state: ExplorerState, items: list[tuple[str, str]]) -> None:
    try:
        start = _last_z(items, "start", curves.DEFAULT_START)
        stop = _last_z(items, "stop", curves.DEFAULT_STOP)
        curves.check_interval(start, stop)
    except curves.InvalidInput as error:
        state.messages.append(_ignored(str(error)))
        return
    state.start, state.stop = start, stop


def _last_z(items: list[tuple[str, str]], key: str, default: float) -> float:
    values = _values(items, key)
    return curves.parse_z(key, values[-1]) if values else default


def _read_z(state: ExplorerState, items: list[tuple[str, str]]) -> None:
    state.z = min(max(0.0, state.start), state.stop)
    values = _values(items, "z")
    if not values:
        return
    try:
        z = curves.parse_z("z", values[-1])
    except curves.InvalidInput as error:
        state.messages.append(_ignored(str(error)))
        return
    if not state.start <= z <= state.stop:
        message = (
            f"invalid z={values[-1]!r}: expected a number in the plotted range "
            f"[{state.start:g}, {state.stop:g}]"
        )
        state.messages.append(_ignored(message))
        return
    state.z = z


def _read_params(state: ExplorerState, items: list[tuple[str, str]]) -> None:
    for key, value in items:
        if key in STATE_FIELDS:
            continue
        name, dot, parameter = key.partition(".")
        if not dot:
            expected = ", ".join(STATE_FIELDS) + " or <activation>.<parameter>"
            message = f"unknown URL field {key!r}: expected {expected}"
            state.messages.append(_ignored(message))
            continue
        try:
            act = activations.get(name, **{parameter: value})
        except ValueError as error:
            state.messages.append(_ignored(str(error)))
            continue
        state.params.setdefault(act.name, {})[parameter] = act.params[parameter]
