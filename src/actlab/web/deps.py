"""Dependencies that routers share."""

from __future__ import annotations

from fastapi import Request

from actlab.store import Store


def get_store(request: Request) -> Store:
    """Return the app's open store."""
    return request.app.state.store
