"""Error responses of the web lab: 404 and 422 bodies naming the field at fault.

A store that is locked or gone gets a 503, never a 500: a JSON ``ErrorBody``
for an API request, and a readable error page for a request for an HTML page.
A stored record that an import left invalid gets a 409.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute

from actlab.store import (
    ActionConflictError,
    StoredRecordError,
    StoreError,
    UnknownItemError,
)

from .curves import InvalidInput
from .schemas import ErrorBody, FieldError
from .templating import templates

logger = logging.getLogger("actlab.web")


MAX_ERRORS = 20
"""Rejected values listed in one response, so a huge body gets a small answer."""

MAX_MESSAGE = 300
"""Characters of one error message: a rejected value is cut to fit."""


class ActivationNotFound(LookupError):
    """A path names an activation that the registry does not contain."""


def add_error_handlers(app: FastAPI) -> None:
    """Install the handlers that turn rejected requests into ``ErrorBody``."""
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ActivationNotFound, _not_found)
    app.add_exception_handler(UnknownItemError, _unknown_item)
    app.add_exception_handler(StoreError, _store_failed)
    app.add_exception_handler(ActionConflictError, _action_conflict)
    app.add_exception_handler(StoredRecordError, _stored_record_invalid)


def _respond(request: Request, status: int, errors: list[FieldError]) -> JSONResponse:
    errors = [
        FieldError(
            field=_shorten(error.field) if error.field else error.field,
            message=_shorten(error.message),
        )
        for error in errors[:MAX_ERRORS]
    ]
    first = errors[0]
    logger.info(
        "rejected %s %s with %d: %s",
        request.method,
        request.url.path,
        status,
        first.message,
    )
    body = ErrorBody(detail=first.message, field=first.field, errors=errors)
    return JSONResponse(body.model_dump(), status_code=status)


async def _invalid_input(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidInput)
    return _respond(request, 422, [FieldError(field=error.field, message=str(error))])


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return _respond(request, 404, [FieldError(field="name", message=str(error))])


async def _unknown_item(request: Request, error: Exception) -> JSONResponse:
    return _respond(request, 404, [FieldError(field="id", message=str(error))])


async def _action_conflict(request: Request, error: Exception) -> JSONResponse:
    return _respond(request, 422, [FieldError(field="action_id", message=str(error))])


async def _stored_record_invalid(request: Request, error: Exception) -> JSONResponse:
    # The request is valid, but the record stored under its action id is not.
    logger.warning("conflict on %s %s: %s", request.method, request.url.path, error)
    return _respond(request, 409, [FieldError(field="action_id", message=str(error))])


# Readable text for a browser, in the lab's layout; Jinja escapes the message.
_FAILURE_PAGE = templates.env.from_string(
    """{% extends "base.html" %}
{% block title %}Progress database failed · actlab{% endblock %}
{% block content %}
<main class="error-page">
  <h1>The progress database failed</h1>
  <p>This page needs the progress database, and it could not be read: {{ message }}.</p>
  <p>{{ advice }}</p>
</main>
{% endblock %}"""
)


async def _store_failed(request: Request, error: Exception) -> Response:
    # The learner did nothing wrong: the database is locked or gone. The page
    # keeps the action and sends it again later, so it is not lost.
    assert isinstance(error, StoreError)
    logger.error("store failed on %s %s: %s", request.method, request.url.path, error)
    headers = {"Retry-After": "5"} if error.transient else {}
    if _wants_html(request):
        advice = (
            "Reload the page in a few seconds."
            if error.transient
            else "Fix the database as the message says, then restart the lab."
        )
        page = _FAILURE_PAGE.render(
            request=request, message=str(error).rstrip("."), advice=advice
        )
        return HTMLResponse(page, status_code=503, headers=headers)
    body = ErrorBody(detail=str(error), field=None, errors=[])
    return JSONResponse(body.model_dump(), status_code=503, headers=headers)


def _wants_html(request: Request) -> bool:
    """Return True for a request to a route that renders an HTML page."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        return route.response_class is HTMLResponse
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api/")


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [_describe(item) for item in error.errors()[:MAX_ERRORS]]
    return _respond(request, 422, errors)


def _shorten(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    return f"{text[: MAX_MESSAGE - 30]}… ({len(text):,} characters in all)"


def _describe(item: dict[str, Any]) -> FieldError:
    """Turn one Pydantic error into a sentence that names its field."""
    location = item.get("loc", ())
    field = str(location[-1]) if location else None
    cause = item.get("ctx", {}).get("error")
    place = location[0] if location else "query"
    if item.get("type") == "json_invalid":
        field = "body"
        message = f"invalid JSON in the request body: {item.get('msg')}"
    elif item.get("type") == "missing" and place == "body":
        message = f"missing field {field} in the request body"
    elif item.get("type") == "missing":
        message = f"missing {place} parameter {field}"
    elif isinstance(cause, ValueError):
        message = str(cause)
    else:
        message = f"invalid {field}={item.get('input')!r}: {item.get('msg')}"
    return FieldError(field=field, message=message)
