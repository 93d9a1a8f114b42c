"""Tolerant reader for statistics tables (CSV and XLSX).

Official and municipal tables arrive in every flavour: comma or semicolon separated,
decimal point or decimal comma, UTF-8 with or without byte-order mark, or Windows-1252
from older Excel exports; or as XLSX. :func:`read_table` reads all of them into a
:class:`pandas.DataFrame`, converts numeric columns and records every cell it could not use
in the :class:`~sqe_geo.quality.QualityReport` with its cell coordinates (``C7`` = third
column, seventh line of the file, the header being line 1).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.quality import QualityReport

__all__ = ["cell_ref", "read_table", "to_numeric_column"]

#: Cell values that mean "no value" and are not reported as non-numeric: empty, the dash
#: and en dash of German official statistics (zero or blocked), and the dot for suppressed
#: small counts. They become NaN and are counted in a single ``info`` finding per column.
MISSING_MARKERS = frozenset({"", "-", "–", "—", ".", "x", "X", "…", "...", "NA", "n/a", "nan"})

_NUM_POINT = re.compile(r"^[+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?(?:\d+(?:\.\d{3})*|\d*)(?:,\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


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


def _decode(
    raw: bytes, path: Path, encoding: str | None, report: QualityReport | None, layer: str
) -> str:
    if encoding is not None:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputDataError(
                f"{path}: cannot be decoded as {encoding} ({exc.reason} at byte {exc.start}); "
                "set the right encoding for this table in the study file or save it as UTF-8."
            ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        if report is not None:
            report.add(
                "encoding_fallback",
                layer,
                f"{path.name} is not valid UTF-8; it was read as Windows-1252 (cp1252). "
                "Check umlauts in names; save the file as UTF-8 to avoid this.",
                severity="info",
                items=[path.name],
            )
        return text


def _sniff_sep(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])  # text is already a short sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


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


def _read_csv_text(path: Path, text: str, sep: str, skiprows: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skiprows=skiprows,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputDataError(
            f"{path}: cannot be parsed as a table with separator {sep!r} ({exc}); check that "
            "every line has the same number of fields, or set the separator in the study file."
        ) from exc


def _read_xlsx(path: Path, sheet: str | int | None, skiprows: int) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about missing default styles in files from some tools.
            warnings.simplefilter("ignore", UserWarning)
            return pd.read_excel(
                path,
                sheet_name=0 if sheet is None else sheet,
                engine="openpyxl",
                dtype=object,
                skiprows=skiprows,
            )
    except ValueError as exc:
        raise InputDataError(
            f"{path}: sheet {sheet!r} cannot be read ({exc}); name an existing sheet."
        ) from exc
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise InputDataError(
            f"{path}: reading XLSX needs openpyxl (pip install openpyxl)."
        ) from exc


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    skiprows: int = 0,
    text_columns: Sequence[str] = (),
    numeric_columns: Sequence[str] | None = None,
    count_columns: Sequence[str] | Literal["numeric"] = "numeric",
    report: QualityReport | None = None,
    layer: str = "demographics",
) -> pd.DataFrame:
    """Read a CSV or XLSX statistics table and convert its numeric columns.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (any other suffix is read as CSV too) or ``.xlsx``/``.xlsm``.
    sheet
        Worksheet name or position for XLSX (default: the first sheet).
    sep
        CSV field separator; sniffed from the first lines when ``None`` (``;``, ``,``,
        tab or ``|``).
    decimal
        ``"."`` or ``","``; when ``None``, ``","`` for ``;``-separated files and ``"."``
        otherwise (the German and the international convention).
    encoding
        Text encoding; when ``None``: UTF-8 (with or without BOM), falling back to cp1252.
    skiprows
        Lines above the header to skip (titles in exported spreadsheets); cell references
        in the report still count from the top of the file.
    text_columns
        Columns never converted to numbers (keys and names).
    numeric_columns
        Columns to convert. When ``None``, every other column in which at least half of the
        non-empty cells are numbers is converted.
    count_columns
        Numeric columns that hold counts, in which negative values are invalid; ``"numeric"``
        (default) means all converted columns.
    report
        Receives ``non_numeric_cells`` (cell, column and text of each unusable cell; the
        cell becomes NaN), ``negative_counts`` (same, the cell becomes NaN),
        ``missing_cells`` (info: empty or marker cells such as ``-``, ``–``, ``.``) and
        ``encoding_fallback``.
    layer
        Layer name for the findings.

    Returns
    -------
    pandas.DataFrame
        Header as in the file (stripped of surrounding spaces); numeric columns as
        ``float64``, other columns as text.

    Raises
    ------
    InputDataError
        If the file does not exist, cannot be decoded/parsed, is empty, or a column named in
        ``text_columns``/``numeric_columns``/``count_columns`` is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"Table {path} not found; check the path in the study file.")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        frame = _read_xlsx(path, sheet, skiprows)
        decimal = decimal or ","
        first_line = skiprows + 2
    elif suffix == ".xls":
        raise InputDataError(
            f"{path}: the old Excel format .xls is not supported; save it as .xlsx or CSV."
        )
    else:
        text = _decode(path.read_bytes(), path, encoding, report, layer)
        if not text.strip():
            raise InputDataError(f"{path} is empty; export the table again.")
        sep = sep or _sniff_sep("\n".join(text[:200_000].splitlines()[skiprows : skiprows + 20]))
        decimal = decimal or ("," if sep == ";" else ".")
        frame = _read_csv_text(path, text, sep, skiprows)
        first_line = skiprows + 2
    if decimal not in {".", ","}:
        raise InputDataError(f"{path}: decimal must be '.' or ',', not {decimal!r}.")

    frame.columns = [str(c).strip() for c in frame.columns]
    named = [*text_columns, *(numeric_columns or ())]
    if count_columns != "numeric":
        named += list(count_columns)
    missing_cols = [c for c in named if c not in frame.columns]
    if missing_cols:
        raise InputDataError(
            f"{path}: column(s) {', '.join(missing_cols)} not found (columns: "
            f"{', '.join(frame.columns)}); fix the column names in the study file."
        )

    candidates = (
        list(numeric_columns)
        if numeric_columns is not None
        else [c for c in frame.columns if c not in set(text_columns)]
    )
    bad_items: list[str] = []
    neg_items: list[str] = []
    missing_counts: dict[str, int] = {}
    converted: list[str] = []
    lines = np.arange(len(frame)) + first_line
    for col in candidates:
        raw = frame[col]
        if isinstance(raw, pd.DataFrame):
            raise InputDataError(f"{path}: column {col!r} appears twice; rename one of them.")
        numbers, bad = to_numeric_column(raw, decimal)
        filled = int(numbers.notna().sum())
        if numeric_columns is None and (filled == 0 or filled < int(bad.sum())):
            continue  # a text column
        converted.append(col)
        ci = frame.columns.get_loc(col)
        bad_items += [
            f"{cell_ref(ci, int(ln))} ({col}={v!r})"
            for ln, v in zip(lines[bad.to_numpy()], raw[bad], strict=True)
        ]
        n_neg = 0
        if count_columns == "numeric" or col in count_columns:
            neg = (numbers < 0).to_numpy()
            n_neg = int(neg.sum())
            neg_items += [
                f"{cell_ref(ci, int(ln))} ({col}={v!r})"
                for ln, v in zip(lines[neg], raw[neg], strict=True)
            ]
            numbers = numbers.mask(numbers < 0)
        n_missing = int(numbers.isna().sum()) - int(bad.sum()) - n_neg
        if n_missing:
            missing_counts[col] = n_missing
        frame[col] = numbers
    if report is not None:
        if bad_items:
            report.add(
                "non_numeric_cells",
                layer,
                f"{path.name}: {len(bad_items)} cell(s) in numeric columns are not numbers and "
                "were set to missing; correct them in the file.",
                severity="warning",
                items=bad_items,
            )
        if neg_items:
            report.add(
                "negative_counts",
                layer,
                f"{path.name}: {len(neg_items)} count cell(s) are negative and were set to "
                "missing; counts cannot be negative, correct them in the file.",
                severity="warning",
                items=neg_items,
            )
        if missing_counts:
            report.add(
                "missing_cells",
                layer,
                f"{path.name}: {sum(missing_counts.values())} numeric cell(s) are empty or "
                "marked as not available (-, –, ., x).",
                severity="info",
                items=[f"{c}: {n}" for c, n in missing_counts.items()],
                count=sum(missing_counts.values()),
            )
    for col in frame.columns:
        if col not in converted and not pd.api.types.is_numeric_dtype(frame[col]):
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: v.strip() if isinstance(v, str) else v)
            else:
                frame[col] = frame[col].str.strip()
    return frame
