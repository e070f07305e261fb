"""Dependencies that routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from actlab.store import Store


def get_store(request: Request) -> Store:
    """Return the app's open store."""
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]
"""The type of a route parameter that receives the app's open store."""
