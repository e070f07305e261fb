"""One ``APIRouter`` per area of the web lab; ``ROUTERS`` lists them in order."""

from . import (
    activations,
    flow,
    health,
    lessons,
    pages,
    playground,
    playground_page,
    probe,
)

ROUTERS = [
    health.router,
    activations.router,
    pages.router,
    lessons.router,
    flow.router,
    probe.router,
    playground_page.router,
    playground.router,
]
