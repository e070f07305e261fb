"""LaTeX formulas of the registry drawn as SVG with matplotlib's mathtext.

mathtext covers the subset of TeX that the registry uses (fractions, scripts,
``\\mathrm``, ``\\text``) and draws glyphs as paths, so the page needs no math
library and no web font.
"""

from __future__ import annotations

import functools
import io
import threading

_LOCK = threading.Lock()
FONT_SIZE = 15


@functools.lru_cache(maxsize=512)
def render_svg(latex: str) -> bytes | None:
    """Return ``latex`` drawn as an SVG document, or ``None`` if mathtext cannot
    parse it."""
    # Imported here because matplotlib takes about a third of a second to load
    # and only the formula images need it.
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buffer = io.BytesIO()
    # NOTE: a lock, because mathtext keeps parser caches that are not
    # documented as thread-safe, and the server renders in a thread pool.
    with _LOCK:
        try:
            mathtext.math_to_image(
                f"${latex}$", buffer, prop=FontProperties(size=FONT_SIZE), format="svg"
            )
        except ValueError:
            return None
    return buffer.getvalue()
