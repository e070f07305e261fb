"""Load a user's own CSV file as a dataset, or reject it with the row and the fix.

Rows are numbered as a spreadsheet shows them: the header is row 1, and blank
rows (an empty line, or only delimiters and spaces) count as rows but are
skipped. Columns are numbered from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from ._dataset import Dataset, Task, parse_task

DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_FEATURES = 1_000
# A target with more distinct labels than this is rejected for classification.
MAX_CLASSES = 100
# task=None reads an integer target as class labels only up to this many classes.
MAX_INFERRED_CLASSES = 10
_MAX_LISTED = 20
_FEATURE_FIX = (
    "every column but the target must be numeric, so fix the value or drop the column"
)
_REGRESSION_FIX = (
    "a regression target must be numeric, so fix the value or pass "
    "task='binary' or task='multiclass'"
)

# A plain decimal number: no underscores, no "inf" or "nan", ASCII digits only
# (Python's float() accepts all three).
# Each part of the pattern can match a digit in only one way, so a long cell
# that fails to match costs linear time, not quadratic.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_MISSING = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "?", "-"})
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | IO[str]


class DataError(ValueError):
    """A CSV file that cannot be turned into a dataset, with the reason and the fix."""


@dataclass(frozen=True)
class _Table:
    columns: tuple[str, ...]
    rows: list[tuple[int, list[str]]]  # (row number, fields) of each data row
    header_row: int


def load_csv(
    source: Source,
    target: str,
    task: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_features: int = DEFAULT_MAX_FEATURES,
    delimiter: str = ",",
    name: str | None = None,
) -> Dataset:
    """Load a CSV table with a header row as a dataset.

    ``source`` is a path (a path object, or a ``str`` that is not blank and
    has no line break), the CSV text itself (any other ``str``), its UTF-8
    bytes, or a binary or text file object. At most ``max_bytes + 1`` bytes are
    read. The column named ``target`` is the target, and every other column
    must be numeric and becomes a feature.

    When ``task`` is None it is inferred: a numeric target of whole numbers
    with 2 distinct values is binary, one with 3 to ``MAX_INFERRED_CLASSES``
    values is multiclass, and any other numeric target is regression. A text
    target is binary with 2 distinct labels and multiclass with more. Class
    labels are sorted (numerically when they are numbers) and mapped to
    0, 1, ..., and ``class_names`` keeps them as text.

    Raises ``DataError`` naming the row or column and the fix for any file
    that cannot be used, and ``ValueError`` or ``TypeError`` for invalid
    arguments. No other exception escapes for any file content.
    """
    _check_limit("max_bytes", max_bytes)
    _check_limit("max_rows", max_rows)
    _check_limit("max_features", max_features)
    if not isinstance(target, str):
        raise TypeError(f"target must be a column name (str), got {target!r}")
    if task is not None:
        task = parse_task(task)
    if not (isinstance(delimiter, str) and len(delimiter) == 1):
        raise ValueError(f"invalid delimiter {delimiter!r}: expected one character")

    raw, origin, default_name = _read(source, max_bytes)
    table = _parse(_decode(raw), delimiter, max_rows)
    target_index = _find_target(table, target, delimiter)
    feature_indices = [i for i in range(len(table.columns)) if i != target_index]
    _check_feature_count(table, target, len(feature_indices), max_features)

    X = _feature_matrix(table, feature_indices)
    y, task, class_names = _target(table, target_index, task)
    return Dataset(
        X=X,
        y=y,
        task=task,
        feature_names=tuple(table.columns[i] for i in feature_indices),
        target_name=target,
        class_names=class_names,
        name=name if name is not None else default_name,
        description=(
            f"Loaded from {origin}: {X.shape[0]} rows, {X.shape[1]} features, "
            f"target {target!r}."
        ),
    )


def _check_limit(key: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"invalid {key}={value!r}: expected a positive integer")


# Reading


def _read(source: Source, max_bytes: int) -> tuple[bytes, str, str]:
    """Return at most ``max_bytes`` bytes of ``source``, its label and a name."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _limited(bytes(source), max_bytes), "bytes", "csv"
    if isinstance(source, str) and _is_text(source):
        if len(source) > max_bytes:  # each character is at least one byte
            raise _too_large(max_bytes)
        # "surrogatepass" lets lone surrogates through, so that decoding
        # rejects them with a row number.
        raw = source.encode("utf-8", "surrogatepass")
        return _limited(raw, max_bytes), "text", "csv"
    if isinstance(source, str | os.PathLike):
        raw = _read_path(source, max_bytes)
        path_text = os.fspath(source)
        return (
            raw,
            os.path.basename(path_text) or path_text,
            Path(path_text).stem or "csv",
        )
    if hasattr(source, "read"):
        return _read_stream(source, max_bytes), "file object", "csv"
    raise TypeError(
        "source must be a path, CSV text, bytes or a file object, "
        f"got {type(source).__name__}"
    )


def _is_text(source: str) -> bool:
    # A blank string is taken as an empty file rather than a path.
    return "\n" in source or "\r" in source or not source.strip()


def _limited(raw: bytes, max_bytes: int) -> bytes:
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    return raw


def _too_large(max_bytes: int) -> DataError:
    return DataError(
        f"the file is larger than max_bytes={max_bytes} bytes "
        f"({max_bytes / 2**20:.2f} MiB); use a smaller file or raise max_bytes"
    )


def _read_path(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    path_text = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
        # Only regular files are opened: a FIFO or a device could block or
        # never end.
        if stat.S_ISREG(mode):
            with open(path, "rb") as stream:
                raw = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataError(
            f"file not found: {path_text!r}; check the path (a str without a line "
            "break is read as a path, not as CSV text)"
        ) from None
    except (OSError, ValueError) as err:
        raise DataError(
            f"cannot read {path_text!r}: {err}; check the path and its permissions"
        ) from None
    if not stat.S_ISREG(mode):
        raise DataError(
            f"{path_text!r} is not a regular file; pass the path of a CSV file"
        )
    return _limited(raw, max_bytes)


def _read_stream(stream: IO[bytes] | IO[str], max_bytes: int) -> bytes:
    try:
        chunk = stream.read(max_bytes + 1)
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the file object: {err}") from None
    if isinstance(chunk, str):
        if len(chunk) > max_bytes:
            raise _too_large(max_bytes)
        chunk = chunk.encode("utf-8", "surrogatepass")
    if not isinstance(chunk, bytes | bytearray):
        raise TypeError(f"the file object's read() returned {type(chunk).__name__}")
    return _limited(bytes(chunk), max_bytes)


def _decode(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(
            "the file is UTF-16 encoded, not UTF-8; save it as UTF-8 "
            "(in Excel: 'CSV UTF-8')"
        )
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        # NOTE: this counts physical lines, which is one more than the
        # spreadsheet row for each quoted line break before the bad byte.
        row = len(_LINE_BREAK.findall(raw, 0, err.start)) + 1
        bad = raw[err.start : err.start + 1].hex()
        raise DataError(
            f"row {row} is not valid UTF-8 (byte 0x{bad}); save the file "
            "with UTF-8 encoding (in Excel: 'CSV UTF-8')"
        ) from None


# Parsing


def _parse(text: str, delimiter: str, max_rows: int) -> _Table:
    header: tuple[str, ...] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    row = 0
    while True:
        try:
            fields = next(reader, None)
        except csv.Error as err:
            raise DataError(
                f"row {row + 1} is not valid CSV ({err}); check its quotes: a "
                'value with a comma, quote or line break must be in "double '
                'quotes", with a quote inside written as ""'
            ) from None
        if fields is None:
            break
        row += 1
        if not "".join(fields).strip():
            continue
        if header is None:
            header, header_row = tuple(field.strip() for field in fields), row
            _check_header(header, header_row)
        elif len(rows) == max_rows:
            raise DataError(
                f"the file has more than max_rows={max_rows} data rows; use "
                "fewer rows or raise max_rows"
            )
        else:
            _check_width(fields, len(header), row, delimiter)
            rows.append((row, fields))

    if header is None:
        raise DataError("the file is empty; it needs a header row and data rows")
    if not rows:
        raise DataError(
            f"the file has a header (row {header_row}) but no data rows; "
            "add rows of values below the header"
        )
    return _Table(header, rows, header_row)


def _check_width(fields: list[str], width: int, row: int, delimiter: str) -> None:
    if len(fields) != width:
        raise DataError(
            f"row {row} has {_plural(len(fields), 'value')} but the header has "
            f"{_plural(width, 'column')}; give every row {width} values, and put "
            f"any value that contains {delimiter!r} in double quotes"
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _check_header(header: Sequence[str], row: int) -> None:
    first_seen: dict[str, int] = {}
    for number, column in enumerate(header, start=1):
        if not column:
            raise DataError(
                f"column {number} has a blank name in the header (row {row}); "
                "give every column a name"
            )
        if column in first_seen:
            raise DataError(
                f"column name {column!r} appears twice in the header (row {row}), "
                f"in columns {first_seen[column]} and {number}; rename one of them"
            )
        first_seen[column] = number


def _listed(columns: Sequence[str]) -> str:
    listing = ", ".join(repr(c) for c in columns[:_MAX_LISTED])
    more = len(columns) - _MAX_LISTED
    return listing + (f" and {more} more" if more > 0 else "")


def _find_target(table: _Table, target: str, delimiter: str) -> int:
    if target in table.columns:
        return table.columns.index(target)
    message = (
        f"target column {target!r} not found; the columns are {_listed(table.columns)}"
    )
    near = [c for c in table.columns if c.casefold() == target.strip().casefold()]
    if near:
        message += f". Did you mean {near[0]!r}?"
    elif all(_NUMBER.fullmatch(c) for c in table.columns):
        message += (
            f". Row {table.header_row} looks like data, not column names; "
            "add a header row"
        )
    elif len(table.columns) == 1:
        message += _delimiter_hint(table.columns[0], delimiter)
    raise DataError(message)


def _delimiter_hint(column: str, delimiter: str) -> str:
    for other in (";", "\t", "|"):
        if other != delimiter and other in column:
            return (
                ". The header has one column; if values are separated by "
                f"{other!r}, pass delimiter={other!r}"
            )
    return ""


def _check_feature_count(
    table: _Table, target: str, count: int, max_features: int
) -> None:
    if count == 0:
        raise DataError(
            f"the file has no feature columns besides the target {target!r}; "
            "add at least one numeric column"
        )
    if count > max_features:
        raise DataError(
            f"the file has {count} feature columns, more than "
            f"max_features={max_features}; remove columns or raise max_features"
        )


# Converting


def _column(table: _Table, index: int) -> str:
    return f"column {index + 1} ({table.columns[index]!r})"


def _cell(table: _Table, index: int, row: int, fields: list[str]) -> str:
    value = fields[index].strip()
    if value.casefold() in _MISSING:
        raise DataError(
            f"row {row}, {_column(table, index)} is missing a value "
            f"({fields[index]!r}); fill it in or remove the row"
        )
    return value


def _cells(table: _Table, index: int) -> list[tuple[int, str]]:
    """Return (row number, stripped value) for every row of one column."""
    return [(row, _cell(table, index, row, fields)) for row, fields in table.rows]


def _number(table: _Table, index: int, row: int, value: str, fix: str) -> float:
    """Return ``value`` as a finite float, or raise with ``fix`` as the advice."""
    if not _NUMBER.fullmatch(value):
        if "," in value or " " in value:
            fix = (
                "write numbers without thousands separators and with '.' as "
                "the decimal point"
            )
        raise DataError(
            f"row {row}, {_column(table, index)}: {value!r} is not a number; {fix}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise DataError(
            f"row {row}, {_column(table, index)}: {value!r} is too large for a "
            "64-bit float; rescale the column"
        )
    return number


def _feature_matrix(table: _Table, indices: Sequence[int]) -> np.ndarray:
    # Row by row, so that the first error reported is the topmost one. Values
    # that match _NUMBER take the fast path, and anything else goes through
    # _cell and _number, which raise the error for it.
    X = np.empty((len(table.rows), len(indices)), dtype=np.float64)
    match = _NUMBER.fullmatch
    for i, (row, fields) in enumerate(table.rows):
        for j, index in enumerate(indices):
            value = fields[index].strip()
            if match(value):
                X[i, j] = float(value)
            else:
                value = _cell(table, index, row, fields)
                _number(table, index, row, value, _FEATURE_FIX)
    if not np.all(np.isfinite(X)):
        i, j = np.argwhere(~np.isfinite(X))[0]
        row, fields = table.rows[i]
        _number(table, indices[j], row, fields[indices[j]].strip(), _FEATURE_FIX)
    return X


def _target(
    table: _Table, index: int, task: Task | None
) -> tuple[np.ndarray, Task, tuple[str, ...]]:
    cells = _cells(table, index)
    numeric = all(_NUMBER.fullmatch(value) for _, value in cells)
    if task is None:
        task = _infer_task(table, index, cells, numeric)
    if task is Task.REGRESSION:
        values = [_number(table, index, r, v, _REGRESSION_FIX) for r, v in cells]
        y = np.array(values, dtype=np.float64)
        if np.all(y == y[0]):
            raise DataError(
                f"the target {_column(table, index)} has the value {cells[0][1]!r} "
                "in every row; a regression target must vary"
            )
        return y, task, ()
    return _class_labels(table, index, cells, numeric, task)


def _infer_task(
    table: _Table, index: int, cells: list[tuple[int, str]], numeric: bool
) -> Task:
    distinct = {value for _, value in cells}
    if numeric:
        numbers = [_number(table, index, r, v, "fix the value") for r, v in cells]
        count = len(set(numbers))
        whole = all(number.is_integer() for number in numbers)
        if whole and 2 <= count <= MAX_INFERRED_CLASSES:
            return Task.BINARY if count == 2 else Task.MULTICLASS
        if count > 1:
            return Task.REGRESSION
    elif len(distinct) > MAX_CLASSES:
        row, value = next((r, v) for r, v in cells if not _NUMBER.fullmatch(v))
        raise DataError(
            f"the target {_column(table, index)} has {len(distinct)} distinct "
            f"labels, more than the {MAX_CLASSES} a classifier may have, and "
            f"row {row} holds {value!r}, which is not a number for regression; "
            "fix the target column or choose another one"
        )
    return Task.BINARY if len(distinct) <= 2 else Task.MULTICLASS


def _class_labels(
    table: _Table,
    index: int,
    cells: list[tuple[int, str]],
    numeric: bool,
    task: Task,
) -> tuple[np.ndarray, Task, tuple[str, ...]]:
    if numeric:
        keys: list[float | str] = []
        for row, value in cells:
            number = _number(table, index, row, value, "fix the value")
            if not number.is_integer():
                raise DataError(
                    f"row {row}, {_column(table, index)}: {value!r} is not a "
                    "whole number, so it cannot be a class label; use whole "
                    "numbers or text for classes, or pass task='regression'"
                )
            keys.append(number)
        classes = sorted(set(keys))
        names = tuple(str(int(c)) for c in classes)
    else:
        keys = [value for _, value in cells]
        classes = sorted(set(keys))
        names = tuple(classes)
    _check_class_count(table, index, names, task)

    position = {key: i for i, key in enumerate(classes)}
    y = np.array([position[key] for key in keys], dtype=np.int64)
    return y, task, names


def _check_class_count(
    table: _Table, index: int, names: tuple[str, ...], task: Task
) -> None:
    column = _column(table, index)
    if len(names) == 1:
        raise DataError(
            f"the target {column} has a single class {names[0]!r}; a classifier "
            "needs at least 2 classes, so add rows of another class"
        )
    if task is Task.BINARY and len(names) != 2:
        raise DataError(
            f"task='binary' needs exactly 2 classes, but the target {column} has "
            f"{len(names)}: {_listed(names)}; pass task='multiclass' or task=None"
        )
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"the target {column} has {len(names)} classes, more than "
            f"{MAX_CLASSES}; pass task='regression' for a numeric target or "
            "choose another column"
        )
