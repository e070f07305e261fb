"""One ``APIRouter`` per area of the web lab; ``ROUTERS`` lists them in order."""

from . import activations, flow, health, pages

ROUTERS = [health.router, activations.router, pages.router, flow.router]
