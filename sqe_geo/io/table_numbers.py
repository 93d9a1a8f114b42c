"""Number parsing of the table reader: text cells to floats, with every unusable cell counted.

German and international tables write numbers differently (``1.234,5`` and ``1,234.5``) and
mark missing values with ``-``, ``–``, ``.`` or ``x``. :func:`to_numeric_column` converts one
column; :func:`convert_numeric_columns` converts the numeric columns of a table read by
:func:`sqe_geo.io.tables.read_table` and records every cell it could not use in the
:class:`~sqe_geo.quality.QualityReport` with its cell coordinates (:func:`cell_ref`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

__all__ = [
    "MAX_EXACT",
    "MISSING_MARKERS",
    "cell_ref",
    "convert_numeric_columns",
    "to_numeric_column",
]

#: Cell values that mean "no value" and are not reported as non-numeric: empty, the dash
#: and en dash of German official statistics (zero or blocked), and the dot for suppressed
#: small counts. They become NaN and are counted in a single ``info`` finding per column.
MISSING_MARKERS = frozenset({"", "-", "–", "—", ".", "x", "X", "…", "...", "NA", "n/a", "nan"})

_NUM_POINT = re.compile(r"^[+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?(?:\d+(?:\.\d{3})*|\d*)(?:,\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
#: "1.000", "12.345.678": a dot as thousands separator in a file whose decimal mark is ".".
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")
#: Largest magnitude a count or year can have and still be an exact whole number (2**53);
#: beyond it (and beyond 64-bit integers) the value cannot be meant.
MAX_EXACT = float(2**53)


def cell_ref(column_index: int, line: int) -> str:
    """Return a spreadsheet-style cell reference, e.g. ``cell_ref(2, 7) == "C7"``.

    Parameters
    ----------
    column_index
        Zero-based column position.
    line
        One-based line (row) number in the file, the header being line 1.
    """
    letters = ""
    n = column_index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{line}"


def to_numeric_column(values: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Convert text cells to floats (vectorised).

    Parameters
    ----------
    values
        Cells as read (text, numbers or missing).
    decimal
        ``"."`` or ``","``; with ``","`` a ``.`` is read as thousands separator
        (``"1.234,5"`` → 1234.5), with ``"."`` a ``,`` is (``"1,234.5"``).

    Returns
    -------
    numbers : pandas.Series
        Float values, NaN where a cell is empty, a missing marker or not a number.
    bad : pandas.Series
        Boolean mask of cells that held text that is neither a number nor a missing marker.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), pd.Series(False, index=values.index)
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        is_num = pd.Series(False, index=values.index)  # text read from CSV
    else:
        is_num = values.map(
            lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
        ).astype(bool)
    text = values.where(~is_num).astype("string")
    missing = values.isna().to_numpy() | text.isna().to_numpy()
    # Fast path: cells without a separator character parse directly (the common case).
    other_sep = "." if decimal == "," else ","
    simple = ~missing & ~text.str.contains(other_sep, regex=False).fillna(True).to_numpy(bool)
    if decimal == ",":
        simple &= ~text.str.contains(",", regex=False).fillna(True).to_numpy(bool)
    numbers = np.full(len(values), np.nan)
    try:  # a plain cast (pyarrow) is fast and works when every simple cell is a number
        numbers[simple] = text[simple].astype("float64").to_numpy(dtype=float)
    except (ValueError, TypeError):
        numbers[simple] = pd.to_numeric(
            text[simple].to_numpy(dtype=object), errors="coerce"
        ).astype(float)
    ok = simple & ~np.isnan(numbers)
    # Slow path for the rest: spaces, thousands separators, decimal commas, markers, text.
    rest = ~missing & ~ok
    if rest.any():
        sub = text[rest].str.strip().str.replace(_SPACES, "", regex=True)
        marker = sub.isin(MISSING_MARKERS).fillna(False).to_numpy(bool)
        pattern = _NUM_COMMA if decimal == "," else _NUM_POINT
        good = sub.str.fullmatch(pattern).fillna(False).to_numpy(bool) & sub.str.contains(
            r"\d", regex=True
        ).fillna(False).to_numpy(bool)
        if decimal == ",":
            clean = sub.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            clean = sub.str.replace(",", "", regex=False)
        parsed = pd.to_numeric(clean.where(good).to_numpy(dtype=object), errors="coerce")
        idx = np.flatnonzero(rest)
        numbers[idx] = np.where(good, parsed.astype(float), np.nan)
        ok[idx] = good
        missing[idx] = marker
    if is_num.any():
        nums = pd.to_numeric(values.where(is_num), errors="coerce").to_numpy(dtype=float)
        numbers = np.where(is_num.to_numpy(bool), nums, numbers)
    bad = ~(is_num.to_numpy(bool) | missing | ok)
    return pd.Series(numbers, index=values.index), pd.Series(bad, index=values.index)


@dataclass
class _Cells:
    """Unusable cells found while converting a table, for the findings."""

    bad: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)
    huge: list[str] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Column:
    """One column being converted: its name, position and the file lines of its cells."""

    name: str
    index: int
    lines: np.ndarray
    raw: pd.Series

    def refs(self, mask: np.ndarray | pd.Series) -> list[str]:
        """``C7 (column='value')`` for the cells in ``mask``."""
        where = np.asarray(mask, dtype=bool)
        return [
            f"{cell_ref(self.index, int(ln))} ({self.name}={v!r})"
            for ln, v in zip(self.lines[where], self.raw[where], strict=True)
        ]


def convert_numeric_columns(
    frame: pd.DataFrame,
    candidates: Sequence[str],
    *,
    detect: bool,
    count_columns: Sequence[str] | Literal["numeric"],
    decimal: str,
    path: Path,
    report: QualityReport | None,
    layer: str,
) -> list[str]:
    """Convert the numeric columns of a table in place; report every unusable cell.

    Parameters
    ----------
    frame
        Cells as read; ``frame.attrs["first_line"]`` is the file line of the first row.
    candidates
        Columns to convert.
    detect
        Keep a candidate as text when fewer of its cells are numbers than are not.
    count_columns
        Columns holding counts (negative values invalid); ``"numeric"``: all converted ones.
    decimal
        ``"."`` or ``","``.
    path
        The file (for messages).
    report, layer
        Receive ``non_numeric_cells``, ``implausible_numbers``, ``negative_counts`` and
        ``missing_cells``.

    Returns
    -------
    list of str
        The converted columns.

    Raises
    ------
    InputDataError
        If a candidate column appears twice, or a count column of a file with decimal point
        holds numbers with a dot as thousands separator.
    """
    cells = _Cells()
    lines = np.arange(len(frame)) + int(frame.attrs["first_line"])
    converted: list[str] = []
    for col in candidates:
        raw = frame[col]
        if isinstance(raw, pd.DataFrame):
            raise InputDataError(Message("io.tables.column_twice", path=str(path), column=col))
        numbers, bad = to_numeric_column(raw, decimal)
        filled = int(numbers.notna().sum())
        if detect and (filled == 0 or filled < int(bad.sum())):
            continue  # a text column
        converted.append(col)
        # one column: repeated names raised above
        column = _Column(col, cast(int, frame.columns.get_loc(col)), lines, raw)
        # only columns named as counts: "8.403" in an auto-detected column may be a longitude
        named_count = count_columns != "numeric" and col in count_columns
        if decimal == "." and named_count and not pd.api.types.is_numeric_dtype(raw):
            _refuse_dot_thousands(column, path)
        is_count = count_columns == "numeric" or col in count_columns
        frame[col] = _usable_numbers(column, numbers, bad, is_count, cells)
    if report is not None:
        _report_cells(report, layer, path.name, cells)
    return converted


def _refuse_dot_thousands(column: _Column, path: Path) -> None:
    dotted = column.raw.astype("string").str.strip().str.fullmatch(_DOT_THOUSANDS).fillna(False)
    if not dotted.any():
        return
    at = int(np.flatnonzero(dotted.to_numpy(bool))[0])
    value = str(column.raw.iloc[at]).strip()
    raise InputDataError(
        Message(
            "io.tables.dot_thousands",
            path=str(path),
            cell=cell_ref(column.index, int(column.lines[at])),
            column=column.name,
            value=value,
            more=int(dotted.sum()) - 1,
            number=float(value),
        )
    )


def _usable_numbers(
    column: _Column, numbers: pd.Series, bad: pd.Series, is_count: bool, cells: _Cells
) -> pd.Series:
    """The numbers without inf, implausibly large and (for counts) negative values."""
    # inf, 1e400 and numbers beyond what a count or year can be are not accepted
    inf = np.isinf(numbers.to_numpy(dtype=float))
    if inf.any():
        bad = bad | inf
        numbers = numbers.mask(inf)
    huge = (numbers.abs() > MAX_EXACT).to_numpy()
    if huge.any():
        cells.huge += column.refs(huge)
        numbers = numbers.mask(huge)
    cells.bad += column.refs(bad.to_numpy())
    n_neg = 0
    if is_count:
        neg = (numbers < 0).to_numpy()
        n_neg = int(neg.sum())
        cells.negative += column.refs(neg)
        numbers = numbers.mask(numbers < 0)
    n_missing = int(numbers.isna().sum()) - int(bad.sum()) - n_neg - int(huge.sum())
    if n_missing:
        cells.missing[column.name] = n_missing
    return numbers


def _report_cells(report: QualityReport, layer: str, name: str, cells: _Cells) -> None:
    if cells.bad:
        report.add(
            "non_numeric_cells",
            layer,
            Message("io.tables.non_numeric_cells", name=name, n=len(cells.bad)),
            severity="warning",
            items=cells.bad,
        )
    if cells.huge:
        report.add(
            "implausible_numbers",
            layer,
            Message("io.tables.implausible_numbers", name=name, n=len(cells.huge), limit=MAX_EXACT),
            severity="warning",
            items=cells.huge,
        )
    if cells.negative:
        report.add(
            "negative_counts",
            layer,
            Message("io.tables.negative_counts", name=name, n=len(cells.negative)),
            severity="warning",
            items=cells.negative,
        )
    if cells.missing:
        total = sum(cells.missing.values())
        report.add(
            "missing_cells",
            layer,
            Message("io.tables.missing_cells", name=name, n=total),
            severity="info",
            items=[f"{c}: {n}" for c, n in cells.missing.items()],
            count=total,
        )
