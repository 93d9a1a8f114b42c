"""Tolerant reader for statistics tables (CSV and XLSX): the one table reader of sqe-geo.

Official and municipal tables arrive in every flavour: comma or semicolon separated,
decimal point or decimal comma, UTF-8 with or without byte-order mark, or Windows-1252
from older Excel exports; or as XLSX. :func:`read_table` reads all of them into a
:class:`pandas.DataFrame`, converts numeric columns and records every cell it could not use
in the :class:`~sqe_geo.quality.QualityReport` with its cell coordinates (``C7`` = third
column, seventh line of the file, the header being line 1). How a file is laid out
(sheet, separator, decimal mark, encoding, title lines) is a :class:`TableLayout`.

Decoding and raw reading live in :mod:`sqe_geo.io.table_sources`, number parsing in
:mod:`sqe_geo.io.table_numbers`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from sqe_geo._errors import InputDataError, listing
from sqe_geo.config_database import DatabaseLayer
from sqe_geo.i18n.messages import Message
from sqe_geo.io.table_numbers import convert_numeric_columns
from sqe_geo.io.table_sources import (
    VECTOR_TABLES,
    decode_table_text,
    header_hint,
    raw_header,
    read_csv_text,
    read_vector_table,
    read_xlsx,
    sniff_separator,
)
from sqe_geo.quality import QualityReport

__all__ = ["TableLayout", "clean_control_characters", "read_table"]

#: Control characters (C0 and C1, DEL) that have no place in names and keys.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class TableLayout:
    """How a table file is laid out; every field left ``None`` is detected.

    Parameters
    ----------
    sheet
        Worksheet name or position for XLSX (default: the first sheet); the layer of a
        vector file.
    sep
        CSV field separator; sniffed from the first lines when ``None`` (``;``, ``,``,
        tab or ``|``).
    decimal
        ``"."`` or ``","``; when ``None``, ``","`` for ``;``-separated files and XLSX and
        ``"."`` otherwise (the German and the international convention).
    encoding
        Text encoding; when ``None``: UTF-8 (with or without BOM), falling back to cp1252.
    skiprows
        Lines above the header to skip (titles in exported spreadsheets); cell references
        in the report still count from the top of the file.
    header_row
        The line (1-based) of the header; ``header_row = 3`` is ``skiprows = 2`` (it wins
        over ``skiprows``).

    Examples
    --------
    >>> TableLayout(header_row=3).lines_above
    2
    """

    sheet: str | int | None = None
    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    skiprows: int = 0
    header_row: int | None = None

    @property
    def lines_above(self) -> int:
        """Lines above the header."""
        if self.header_row is not None:
            return max(int(self.header_row) - 1, 0)
        return self.skiprows


@dataclass
class _Cells:
    """A table as read, before numbers are parsed."""

    frame: pd.DataFrame
    text: str | None  # the decoded content of a text table
    sep: str
    decimal: str
    first_line: int  # file line of the first data row


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise InputDataError(Message("io.tables.is_folder", path=str(path)))
    if not path.is_file():
        raise InputDataError(Message("io.tables.not_found", path=str(path)))


def _read_cells(
    path: Path,
    layout: TableLayout,
    wanted: Sequence[str],
    report: QualityReport | None,
    layer: str,
) -> _Cells:
    skiprows = layout.lines_above
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        frame = read_xlsx(path, layout.sheet, skiprows)
        return _Cells(frame, None, layout.sep or ",", layout.decimal or ",", skiprows + 2)
    if suffix == ".xls":
        raise InputDataError(Message("io.tables.xls_unsupported", path=str(path)))
    if suffix in VECTOR_TABLES:
        frame = read_vector_table(path, layout.sheet)
        # feature numbers: the first feature is row 1
        return _Cells(frame, None, layout.sep or ",", layout.decimal or ".", 1)
    text = decode_table_text(path.read_bytes(), path, layout.encoding, report, layer)
    if not text.strip():
        raise InputDataError(Message("io.tables.empty", path=str(path)))
    n_lines = len(text.splitlines())
    if skiprows >= n_lines:
        raise InputDataError(
            Message(
                "io.tables.header_beyond_end",
                path=str(path),
                header_row=skiprows + 1,
                lines=n_lines,
            )
        )
    sample = "\n".join(text[:200_000].splitlines()[skiprows : skiprows + 20])
    sep = layout.sep or sniff_separator(sample)
    decimal = layout.decimal or ("," if sep == ";" else ".")
    frame = read_csv_text(path, text, sep, skiprows, wanted)
    return _Cells(frame, text, sep, decimal, skiprows + 2)


def _check_header(
    path: Path,
    cells: _Cells,
    layout: TableLayout,
    named: Sequence[str],
    report: QualityReport | None,
    layer: str,
) -> None:
    """Refuse a used column named twice in the header; report unused repeated names."""
    skiprows = layout.lines_above
    header = raw_header(path, cells.text, cells.sep, skiprows, layout.sheet)
    twice = sorted({c for c in header if c and header.count(c) > 1})
    used = [c for c in twice if c in named]
    if used:
        raise InputDataError(
            Message(
                "io.tables.column_twice_in_header",
                path=str(path),
                column=used[0],
                line=skiprows + 1,
            )
        )
    if twice and report is not None:
        report.add(
            "duplicate_columns",
            layer,
            Message("io.tables.duplicate_columns", name=path.name, columns=listing(twice)),
            severity="info",
            items=twice,
        )


def _check_columns(
    path: Path,
    cells: _Cells,
    layout: TableLayout,
    named: Sequence[str],
    keys: Mapping[str, str],
) -> None:
    """Refuse missing named columns (naming the study-file key) and a table without rows."""
    frame = cells.frame
    missing = list(dict.fromkeys(c for c in named if c not in frame.columns))
    if missing:
        vector = path.suffix.lower() in VECTOR_TABLES
        hint = "" if vector else header_hint(path, cells.text, cells.sep, layout.sheet, named)
        where = ", ".join(f"{keys[c]} = {c!r}" for c in missing if c in keys)
        raise InputDataError(
            Message(
                "io.tables.missing_columns",
                path=str(path),
                columns=", ".join(missing),
                found=listing(frame.columns),
                where=f" ({where})" if where else "",
                hint=hint,
            )
        )
    if len(frame) == 0:
        raise InputDataError(Message("io.tables.no_rows", path=str(path)))


def _read_file(
    path: Path,
    layout: TableLayout,
    wanted: list[str],
    named: list[str],
    report: QualityReport | None,
    keys: Mapping[str, str] | None,
    layer: str,
) -> tuple[pd.DataFrame, str]:
    """A table file with its header checked, and its decimal mark."""
    _check_file(path)
    cells = _read_cells(path, layout, wanted, report, layer)
    if cells.decimal not in {".", ","}:
        raise InputDataError(
            Message("io.tables.bad_decimal", path=str(path), decimal=cells.decimal)
        )
    frame = cells.frame
    frame.columns = [str(c).strip() for c in frame.columns]
    if path.suffix.lower() not in VECTOR_TABLES:
        _check_header(path, cells, layout, named, report, layer)
    _check_columns(path, cells, layout, named, keys or {})
    frame.attrs["first_line"] = cells.first_line
    return frame, cells.decimal


def read_table(
    path: str | Path | DatabaseLayer,
    layout: TableLayout | None = None,
    *,
    text_columns: Sequence[str] = (),
    numeric_columns: Sequence[str] | None = None,
    count_columns: Sequence[str] | Literal["numeric"] = "numeric",
    report: QualityReport | None = None,
    layer: str = "demographics",
    keys: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a CSV or XLSX statistics table and convert its numeric columns.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (any other suffix is read as CSV too) or ``.xlsx``/``.xlsm``; the
        attribute table of a vector file (``.gpkg``, ``.geojson``, ``.parquet`` …).
    layout
        Sheet, separator, decimal mark, encoding and title lines (default: all detected).
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
    keys
        Column -> the study-file key that names it (``"[demographics] key_column"``), so
        that a missing column's message says which key to fix.

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
    wanted = [*text_columns, *(numeric_columns or ())]
    named = wanted + ([] if count_columns == "numeric" else list(count_columns))
    if isinstance(path, DatabaseLayer):
        from sqe_geo.io.postgis import read_named_columns

        frame = read_named_columns(path, named, text_columns, keys or {}, what=layer)
        decimal, source = ".", Path(path.name)
    else:
        source = Path(path)
        frame, decimal = _read_file(
            source, layout or TableLayout(), wanted, named, report, keys, layer
        )
    candidates = (
        list(numeric_columns)
        if numeric_columns is not None
        else [c for c in frame.columns if c not in set(text_columns)]
    )
    converted = convert_numeric_columns(
        frame,
        candidates,
        detect=numeric_columns is None,
        count_columns=count_columns,
        decimal=decimal,
        path=source,
        report=report,
        layer=layer,
    )
    _strip_text(frame, converted, text_columns, source, report, layer)
    return frame


def _strip_text(
    frame: pd.DataFrame,
    converted: Sequence[str],
    text_columns: Sequence[str],
    path: Path,
    report: QualityReport | None,
    layer: str,
) -> None:
    """Strip the text columns in place; clean control characters from the named ones."""
    for col in frame.columns:
        if col in converted or pd.api.types.is_numeric_dtype(frame[col]):
            continue
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v.strip() if isinstance(v, str) else v)
        else:
            frame[col] = frame[col].str.strip()
        if col in text_columns:
            frame[col] = clean_control_characters(
                frame[col], source=path.name, column=col, report=report, layer=layer
            )


def clean_control_characters(
    values: pd.Series,
    *,
    source: str,
    column: str,
    report: QualityReport | None,
    layer: str,
) -> pd.Series:
    """Remove control characters from names and keys; report every cleaned value.

    A name such as ``"Innen\\x07stadt"`` (a bell character from a broken export) is kept
    as ``"Innenstadt"`` and listed in a ``control_characters`` finding.
    """
    text = values.astype("string")
    dirty = text.str.contains(_CONTROL, regex=True).fillna(False).to_numpy(bool)
    if not dirty.any():
        return values
    cleaned = text.str.replace(_CONTROL, "", regex=True).str.strip()
    if report is not None:
        report.add(
            "control_characters",
            layer,
            Message(
                "io.tables.control_characters", source=source, n=int(dirty.sum()), column=column
            ),
            severity="warning",
            items=[
                f"{v.encode('unicode_escape').decode()[:60]} → {c}"
                for v, c in zip(text[dirty], cleaned[dirty], strict=True)
            ],
        )
    out = values.copy().astype(object)
    out[dirty] = cleaned[dirty].astype(object).to_numpy()
    return out
