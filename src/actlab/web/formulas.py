"""LaTeX formulas of the registry drawn as SVG with matplotlib's mathtext.

mathtext draws glyphs as paths, so the page needs no math library and no web
font. It covers a subset of TeX (fractions, scripts, ``\\mathrm``, ``\\text``,
``\\left``/``\\right``), and ``to_mathtext`` rewrites the few constructs of the
registry outside it: ``cases`` environments, ``\\bigl``-style sizes, ``\\le``
and ``\\ge``.
"""

from __future__ import annotations

import functools
import io
import re
import threading

DRAWING_LOCK = threading.Lock()
"""Held by every thread that draws with matplotlib in the server.

mathtext keeps parser caches that are not thread-safe (two figures with
formulas drawn at once raised IndexError inside it), and the server draws
formula images and experiment figures in a thread pool.
"""
FONT_SIZE = 14
_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.DOTALL)
_SIZED_DELIMITER = re.compile(r"\\(?:big|Big|bigg|Bigg)[lr]?(?![a-zA-Z])")
_COMPARISONS = {
    re.compile(r"\\le(?![a-zA-Z])"): r"\\leq",
    re.compile(r"\\ge(?![a-zA-Z])"): r"\\geq",
}


def to_mathtext(latex: str) -> str:
    """Rewrite ``latex`` into the subset of TeX that mathtext parses.

    A ``cases`` environment becomes one line after a left brace, with its rows
    separated by commas: mathtext has no arrays or line breaks.
    """
    text = _CASES.sub(lambda match: _one_line_cases(match.group(1)), latex)
    text = _SIZED_DELIMITER.sub("", text)
    for pattern, replacement in _COMPARISONS.items():
        text = pattern.sub(replacement, text)
    return text


def _one_line_cases(body: str) -> str:
    rows = []
    for row in filter(str.strip, body.split(r"\\")):
        expression, _, condition = row.partition("&")
        condition = condition.strip()
        if condition and not condition.startswith(r"\text"):
            condition = r"\text{if }" + condition
        rows.append(rf"{expression.strip()} \quad {condition}".strip())
    return r"\left\{\, " + r",\quad ".join(rows) + r" \right."


@functools.lru_cache(maxsize=512)
def render_svg(latex: str) -> bytes | None:
    """Return ``latex`` drawn as an SVG document, or ``None`` if mathtext cannot
    parse it."""
    # Imported here because matplotlib takes about a third of a second to load
    # and only the formula images need it.
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buffer = io.BytesIO()
    with DRAWING_LOCK:
        try:
            mathtext.math_to_image(
                f"${to_mathtext(latex)}$",
                buffer,
                prop=FontProperties(size=FONT_SIZE),
                format="svg",
            )
        except ValueError:
            return None
    return buffer.getvalue()
