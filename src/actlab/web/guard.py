"""The rules for requests: a Host the lab serves, and JSON from its own pages to write.

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
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import parse_host_header
from starlette.types import ASGIApp, Receive, Scope, Send

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


class HostGuard:
    """Reject with 400 a request whose Host header names a host the lab does not serve.

    ``allowed`` are lower-case host names without ports, or ``["*"]`` for any
    (see ``Settings.trusted_hosts``). The message names the host and the
    option that allows it, which Starlette's ``TrustedHostMiddleware`` does
    not.
    """

    def __init__(self, app: ASGIApp, allowed: list[str]):
        self.app = app
        self.allowed = [name.lower() for name in allowed]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "*" in self.allowed or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host", "")
        parsed = parse_host_header(header)
        name = parsed.host.lower() if parsed is not None else ""
        if name in self.allowed:
            await self.app(scope, receive, send)
            return
        logger.warning("rejected %s for Host %r", scope.get("path"), header[:100])
        message = (
            f"invalid Host header {header[:100]!r}: this lab answers only to "
            f"{', '.join(self.allowed)}. Open it by one of those names, or start "
            "it with --allow-host NAME to allow another."
        )
        await PlainTextResponse(message, status_code=400)(scope, receive, send)
