"""Liveness check for the web lab."""

from fastapi import APIRouter

from actlab import __version__

from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def read_health() -> Health:
    """Report that the server is up, with the actlab version."""
    return Health(version=__version__)
