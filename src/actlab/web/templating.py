"""The Jinja2 environment that every page router renders with."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from actlab import __version__

# Links in the header of every page, in order: (label, path).
NAVIGATION = [
    ("Lesson", "/lesson"),
    ("Explorer", "/explorer"),
    ("Flow", "/flow"),
    ("Playground", "/playground"),
    ("Practice", "/practice"),
    ("Cards", "/cards"),
    ("Progress", "/progress"),
    ("Experiments", "/experiments"),
    ("Monitor", "/monitor"),
]

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Six significant digits, as the pages' read-outs show numbers.
templates.env.filters["number"] = lambda value: f"{value:.6g}"
templates.env.globals["navigation"] = NAVIGATION
templates.env.globals["version"] = __version__
