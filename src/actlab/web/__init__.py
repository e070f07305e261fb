"""The local web lab: a FastAPI app over the activation registry.

``create_app`` builds the app, ``serve`` runs it with uvicorn on loopback.
"""

from .app import create_app, serve
from .settings import Settings

__all__ = ["Settings", "create_app", "serve"]
