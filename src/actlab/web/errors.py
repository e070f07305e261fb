"""Error responses of the web lab: 404 and 422 bodies naming the field at fault.

A store that is locked or gone answers 503, never 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from actlab.store import ActionConflictError, StoreError, UnknownItemError

from .curves import InvalidInput
from .schemas import ErrorBody, FieldError

logger = logging.getLogger("actlab.web")


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


def _respond(request: Request, status: int, errors: list[FieldError]) -> JSONResponse:
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


async def _store_failed(request: Request, error: Exception) -> JSONResponse:
    # The learner did nothing wrong: the database is locked or gone. The page
    # keeps the action and sends it again later, so it is not lost.
    logger.error("store failed on %s %s: %s", request.method, request.url.path, error)
    body = ErrorBody(detail=str(error), field=None, errors=[])
    return JSONResponse(
        body.model_dump(), status_code=503, headers={"Retry-After": "5"}
    )


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [_describe(item) for item in error.errors()]
    return _respond(request, 422, errors)


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
