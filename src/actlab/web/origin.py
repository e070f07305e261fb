"""The same-origin rule for the lab's WebSockets.

Browsers send an ``Origin`` header with every WebSocket handshake but do not
apply the same-origin policy to WebSockets, so without this check any page the
learner has open could drive the lab's sockets. Clients that are not browsers
(tests, scripts) send no ``Origin`` and are allowed.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

logger = logging.getLogger("actlab.web")

# The WebSocket close code for a handshake that breaks the server's policy.
POLICY_VIOLATION = 1008


def same_origin(websocket: WebSocket) -> bool:
    """Return whether the handshake has no ``Origin`` or one matching ``Host``."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


async def reject_foreign_origin(websocket: WebSocket) -> bool:
    """Close a handshake from another site; return whether it was closed."""
    if same_origin(websocket):
        return False
    logger.warning(
        "rejected a WebSocket to %s from origin %r",
        websocket.url.path,
        websocket.headers.get("origin"),
    )
    await websocket.close(code=POLICY_VIOLATION)
    return True
