"""The rule for requests that change the store: JSON only, and from the lab's own pages.

A page on another site can make the learner's browser send a POST to the
lab. With ``Content-Type: text/plain`` such a POST needs no permission from
the lab, so every request that writes must declare JSON, which a foreign page
cannot send without the lab's consent, and must not carry a foreign
``Origin``. Clients that are not browsers send no ``Origin`` and are allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from .origin import same_origin
from .schemas import ErrorBody, FieldError

logger = logging.getLogger("actlab.web")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _rejected(status: int, field: str, message: str) -> JSONResponse:
    body = ErrorBody(
        detail=message, field=field, errors=[FieldError(field=field, message=message)]
    )
    return JSONResponse(body.model_dump(), status_code=status)


async def guard_writes(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Reject writes from another site's page and writes whose body is not JSON."""
    if request.method not in WRITE_METHODS:
        return await call_next(request)
    if not same_origin(request):
        logger.warning(
            "rejected %s %s from origin %r",
            request.method,
            request.url.path,
            request.headers.get("origin"),
        )
        return _rejected(
            403,
            "origin",
            f"rejected a request from {request.headers.get('origin')!r}: only the "
            "lab's own pages may change your progress",
        )
    # Media type names are case-insensitive, so "Application/JSON" is JSON too.
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return _rejected(
            415,
            "content-type",
            f"invalid Content-Type {media_type or 'none'!r}: send the body as "
            "JSON with Content-Type: application/json",
        )
    return await call_next(request)
