"""Reports: experiment results as one self-contained HTML file and a Markdown file.

Both open with the table of claims: the claim, what was measured, and
whether it held. The HTML embeds its figures as PNG data and loads nothing
from anywhere, so it opens offline and can be mailed as one file; the
Markdown file links the same figures, written beside it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import _framework
from ._framework import Claim, ExperimentResult, Table

VERDICTS = {True: "held", False: "did not hold", None: "not decided"}

QUICK_LABEL = "quick preview"
"""The label of a run made with an experiment's small ``quick()`` settings."""

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1000px; margin: 2rem auto;
       padding: 0 1rem; color: #1d1d1f; }
table { border-collapse: collapse; margin: 0.8rem 0 1.4rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.held { color: #146c2e; font-weight: 600; }
.did-not-hold { color: #a4161a; font-weight: 600; }
.not-decided { color: #7a5c00; font-weight: 600; }
img { max-width: 100%; border: 1px solid #ddd; }
.meta { color: #555; font-size: 0.9rem; }
.quick { color: #7a5c00; font-size: 0.8em; font-weight: normal; }
"""


def claim_rows(
    results: Sequence[ExperimentResult],
) -> list[tuple[str, Claim]]:
    """Return ``(experiment, claim)`` for every claim, in result order.

    The experiment is its name, followed by ``(quick preview)`` for a run with
    the quick settings.
    """
    return [(_label(result), claim) for result in results for claim in result.claims]


def format_seconds(seconds: float | None) -> str:
    """Return a duration for people: milliseconds under a second, else seconds.

    >>> format_seconds(0.0042), format_seconds(0.25), format_seconds(75.0)
    ('4.2 ms', '250 ms', '1 min 15 s')
    """
    if seconds is None:
        return "unknown time"
    # The bounds sit half a digit below each unit's step, so no duration is
    # shown as "1000 ms" or "60.0 s".
    if seconds < 0.00995:
        return f"{seconds * 1000:.2g} ms"
    if seconds < 0.9995:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def write_report(
    results: Sequence[ExperimentResult], directory: Path, stem: str = "report"
) -> tuple[Path, Path]:
    """Write ``stem.html``, ``stem.md`` and ``stem-figures/``; return the two files."""
    if not results:
        raise ValueError("no results to report: run at least one experiment")
    directory = Path(directory)
    figures_dir = directory / f"{stem}-figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    figures = {
        result.name: _framework.get(result.name).plot(result, figures_dir)
        for result in results
    }
    html_path = directory / f"{stem}.html"
    markdown_path = directory / f"{stem}.md"
    html_path.write_text(_html(results, figures), encoding="utf-8")
    markdown_path.write_text(_markdown(results, figures, directory), encoding="utf-8")
    return html_path, markdown_path


# --- HTML ----------------------------------------------------------------------


def _html(results: Sequence[ExperimentResult], figures: dict[str, list[Path]]) -> str:
    escape = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>actlab report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>actlab report</h1>",
        f'<p class="meta">{escape(_written(results))}</p>',
        "<h2>Claims</h2>",
        _html_table(
            ("experiment", "claim", "what we measured", "held?"),
            [
                (name, claim.claim, claim.measured, _verdict_html(claim.held))
                for name, claim in claim_rows(results)
            ],
            raw_last=True,
        ),
    ]
    for result in results:
        title = escape(result.title)
        if result.quick:
            title += f' <span class="quick">({QUICK_LABEL})</span>'
        parts.append(f'<h2 id="{escape(result.name)}">{title}</h2>')
        parts.append(f'<p class="meta">{escape(_meta(result))}</p>')
        for table in result.tables:
            parts.append(f"<h3>{escape(table.title)}</h3>")
            parts.append(_html_table(table.columns, table.rows))
        for path in figures[result.name]:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            alt = escape(f"{result.title}: {path.stem}")
            parts.append(f'<p><img alt="{alt}" src="data:image/png;base64,{data}"></p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _verdict_html(held: bool | None) -> str:
    verdict = VERDICTS[held]
    return f'<span class="{verdict.replace(" ", "-")}">{verdict}</span>'


def _html_table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], raw_last: bool = False
) -> str:
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in columns)
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            if raw_last and index == len(row) - 1:
                cells.append(f"<td>{value}</td>")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f'<td class="num">{_number(value)}</td>')
            else:
                cells.append(f"<td>{html.escape(_text(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# --- Markdown ------------------------------------------------------------------


def _markdown(
    results: Sequence[ExperimentResult],
    figures: dict[str, list[Path]],
    directory: Path,
) -> str:
    lines = [
        "# actlab report",
        "",
        _written(results),
        "",
        "## Claims",
        "",
        _markdown_table(
            ("experiment", "claim", "what we measured", "held?"),
            [
                (name, claim.claim, claim.measured, VERDICTS[claim.held])
                for name, claim in claim_rows(results)
            ],
        ),
    ]
    for result in results:
        title = f"{result.title} ({QUICK_LABEL})" if result.quick else result.title
        lines += ["", f"## {title}", "", _meta(result), ""]
        for table in result.tables:
            lines += [
                f"### {table.title}",
                "",
                _markdown_table(table.columns, table.rows),
            ]
            lines.append("")
        for path in figures[result.name]:
            lines.append(f"![{result.title}]({path.relative_to(directory).as_posix()})")
    return "\n".join(lines) + "\n"


def _markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        text = _number(value) if isinstance(value, float) else _text(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(column) for column in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


# --- shared --------------------------------------------------------------------


def _label(result: ExperimentResult) -> str:
    return f"{result.name} ({QUICK_LABEL})" if result.quick else result.name


def _written(results: Sequence[ExperimentResult]) -> str:
    text = f"Written {_now()} from {len(results)} experiment run(s) on this machine."
    quick = sum(result.quick for result in results)
    if quick:
        text += (
            f" {quick} of them used the quick preview settings, which are smaller "
            "than the full settings, so their numbers are rougher and some of "
            "their claims cannot be decided. Leave out --quick to run the full "
            "settings."
        )
    return text


def _meta(result: ExperimentResult) -> str:
    settings = "the quick preview settings" if result.quick else "the full settings"
    started = (
        result.started_at.isoformat(timespec="seconds") if result.started_at else "?"
    )
    versions = ", ".join(
        f"{name} {version}" for name, version in result.versions.items()
    )
    seeds = ", ".join(str(seed) for seed in result.seeds)
    return (
        f"Ran {started} for {format_seconds(result.seconds)} with {settings}; "
        f"seeds {seeds}; {versions}."
    )


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = [
    "QUICK_LABEL",
    "VERDICTS",
    "Table",
    "claim_rows",
    "format_seconds",
    "write_report",
]
