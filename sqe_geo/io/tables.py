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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError, listing
from sqe_geo.quality import QualityReport

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["cell_ref", "clean_control_characters", "read_table", "to_numeric_column"]

#: Cell values that mean "no value" and are not reported as non-numeric: empty, the dash
#: and en dash of German official statistics (zero or blocked), and the dot for suppressed
#: small counts. They become NaN and are counted in a single ``info`` finding per column.
MISSING_MARKERS = frozenset({"", "-", "–", "—", ".", "x", "X", "…", "...", "NA", "n/a", "nan"})

_NUM_POINT = re.compile(r"^[+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?(?:\d+(?:\.\d{3})*|\d*)(?:,\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
#: Control characters (C0 and C1, DEL) that have no place in names and keys.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: "1.000", "12.345.678": a dot as thousands separator in a file whose decimal mark is ".".
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")
#: Largest magnitude a count or year can have and still be an exact whole number (2**53);
#: beyond it (and beyond 64-bit integers) the value cannot be meant.
MAX_EXACT = float(2**53)
#: Attribute tables of vector files that can hold demographics.
_VECTOR_TABLES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".parquet", ".geoparquet"}


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
        try:
            return raw[3:].decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start + 3].count(b"\n") + 1
            raise InputDataError(
                f"{path}: starts with a UTF-8 byte-order mark but is not valid UTF-8 "
                f"({exc.reason} at byte {exc.start + 3}, line {line}); save it again as "
                "UTF-8 (CSV UTF-8 in Excel)."
            ) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputDataError(
                f"{path}: starts like a UTF-16 file but cannot be decoded as UTF-16 ("
                f"{exc.reason} at byte {exc.start}); save it as UTF-8 (CSV UTF-8 in Excel)."
            ) from None
        if report is not None:
            report.add(
                "encoding_utf16",
                layer,
                f"{path.name} is UTF-16 (a byte-order mark says so); it was read as such. "
                "Saving it as UTF-8 (CSV UTF-8 in Excel) avoids surprises in other tools.",
                severity="info",
                items=[path.name],
            )
        return text
    head = raw[:4096]
    if head.startswith(b"PK\x03\x04"):
        raise InputDataError(
            f"{path}: is a ZIP archive (or an XLSX workbook), not a text table; unpack it, or "
            "name the workbook with the suffix .xlsx."
        )
    if head.count(0) > len(head) // 100 + 1:  # a stray NUL in a name is cleaned later
        zeros_odd = head[1::2].count(0) > len(head) // 4
        zeros_even = head[0::2].count(0) > len(head) // 4
        if zeros_odd != zeros_even:
            raise InputDataError(
                f"{path}: looks like UTF-16 text without a byte-order mark; save it as "
                "UTF-8 (CSV UTF-8 in Excel) and read it again."
            )
        raise InputDataError(
            f"{path}: holds binary data, not a text table; export the table as CSV (UTF-8) "
            "or XLSX and check the 'path' key."
        )
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
            # pandas < 3.1's C parser cuts a field at a NUL; the python one keeps it
            engine="python" if "\x00" in text else "c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputDataError(
            f"{path}: cannot be parsed as a table with separator {sep!r} "
            f"({str(exc).strip()[:200]}); check that every line has the same number of "
            "fields, or set the separator in the study file."
        ) from None


def _sheet(book: Workbook, sheet: str | int | None) -> Worksheet:
    # The books are opened read_only: a data sheet is a ReadOnlyWorksheet, typed here as the
    # Worksheet whose iter_rows it shares (types-openpyxl binds iter_rows to Worksheet).
    if sheet is None:
        return cast("Worksheet", book.worksheets[0])
    found = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    return cast("Worksheet", found)


def _xlsx_rows(path: Path, sheet: str | int | None, limit: int) -> list[list[object]]:
    """The first ``limit`` rows of a sheet as cached values (formulas: their saved value)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = _sheet(book, sheet)
        return [list(r) for r in ws.iter_rows(max_row=limit, values_only=True)]
    finally:
        book.close()


def _check_formulas(path: Path, sheet: str | int | None) -> None:
    """Refuse formula cells without a saved value (files written by programs, not Excel)."""
    import openpyxl

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    empty: list[str] = []
    try:
        # the same file read twice: formulas and their saved values, cell by cell
        f_rows, v_rows = _sheet(formulas, sheet).iter_rows(), _sheet(values, sheet).iter_rows()
        rows = zip(f_rows, v_rows, strict=False)
        for f_row, v_row in rows:
            for f_cell, v_cell in zip(f_row, v_row, strict=False):
                if getattr(f_cell, "data_type", None) == "f" and v_cell.value is None:
                    empty.append(f_cell.coordinate)
    finally:
        formulas.close()
        values.close()
    if empty:
        raise InputDataError(
            f"{path}: {len(empty)} cell(s) hold a formula without a saved value "
            f"({', '.join(empty[:10])}{' …' if len(empty) > 10 else ''}); the file was written "
            "by a program that does not calculate. Open it and save in Excel or export values "
            "(copy, paste values only), then read it again."
        )


def _read_xlsx(path: Path, sheet: str | int | None, skiprows: int) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about missing default styles in files from some tools.
            warnings.simplefilter("ignore", UserWarning)
            _check_formulas(path, sheet)
            return pd.read_excel(
                path,
                sheet_name=0 if sheet is None else sheet,
                engine="openpyxl",
                dtype=object,
                skiprows=skiprows,
            )
    except InputDataError:
        raise
    except (KeyError, IndexError) as exc:
        raise InputDataError(
            f"{path}: sheet {sheet!r} does not exist ({exc}); name an existing sheet."
        ) from None
    except ValueError as exc:
        raise InputDataError(
            f"{path}: sheet {sheet!r} cannot be read ({str(exc)[:200]}); name an existing sheet."
        ) from None
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise InputDataError(
            f"{path}: reading XLSX needs openpyxl (pip install openpyxl)."
        ) from exc
    except Exception as exc:  # zipfile, XML and openpyxl errors of a damaged workbook
        raise InputDataError(
            f"{path}: is not a valid XLSX workbook ({type(exc).__name__}); open it in Excel "
            "and save it again as .xlsx (or export CSV)."
        ) from None


def _read_vector_table(path: Path, layer: str | int | None) -> pd.DataFrame:
    """The attribute table of a vector file (demographics kept with the geometries)."""
    import pyogrio

    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            frame = pd.read_parquet(path)
            return frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])
        if layer is None:
            layers = pyogrio.list_layers(source)
            if len(layers) > 1:
                raise InputDataError(
                    f"{path}: holds several layers ({listing(layers[:, 0])}); name one with "
                    "'layer' in the [demographics] section."
                )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table: pd.DataFrame = pyogrio.read_dataframe(source, layer=layer, read_geometry=False)
            return table
    except InputDataError:
        raise
    except Exception as exc:  # GDAL raises many types for unreadable files
        raise InputDataError(
            f"{path}: cannot read its attribute table ({str(exc)[:200]}); check the file "
            "and the 'layer' key."
        ) from None


def _raw_header(
    path: Path, text: str | None, sep: str, skiprows: int, sheet: str | int | None
) -> list[str]:
    """The header as written (pandas renames a repeated name to ``name.1``)."""
    if text is not None:
        lines = text.splitlines()
        if skiprows >= len(lines):
            return []
        return [c.strip() for c in next(csv.reader([lines[skiprows]], delimiter=sep), [])]
    rows = _xlsx_rows(path, sheet, skiprows + 1)
    return [str(c).strip() for c in rows[skiprows] if c is not None] if len(rows) > skiprows else []


def _header_hint(
    path: Path, text: str | None, sep: str, sheet: str | int | None, wanted: Sequence[str]
) -> str:
    """A sentence suggesting ``header_row`` when the named columns sit lower in the file."""
    if not wanted:
        return ""
    rows: Sequence[Sequence[object]]
    if text is not None:
        rows = list(csv.reader(text.splitlines()[:30], delimiter=sep))
    else:
        try:
            rows = _xlsx_rows(path, sheet, 30)
        except Exception:  # only a hint
            return ""
    for number, row in enumerate(rows, 1):
        cells = {str(c).strip() for c in row if c is not None}
        found = [w for w in wanted if w in cells]
        if number > 1 and found:
            return (
                f" The header with {found[0]!r} is line {number} (title rows above it): set "
                f"header_row = {number} in the study file's section of this table."
            )
    return ""


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    skiprows: int = 0,
    header_row: int | None = None,
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
    header_row
        The line (1-based) of the header; ``header_row = 3`` is ``skiprows = 2``.
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
    path = Path(path)
    keys = keys or {}
    if path.is_dir():
        raise InputDataError(
            f"Table {path} is a folder, not a file; name the table file inside it in 'path'."
        )
    if not path.is_file():
        raise InputDataError(f"Table {path} not found; check the path in the study file.")
    if header_row is not None:
        skiprows = max(int(header_row) - 1, 0)
    suffix = path.suffix.lower()
    text: str | None = None
    if suffix in {".xlsx", ".xlsm"}:
        frame = _read_xlsx(path, sheet, skiprows)
        decimal = decimal or ","
        first_line = skiprows + 2
    elif suffix == ".xls":
        raise InputDataError(
            f"{path}: the old Excel format .xls is not supported; save it as .xlsx or CSV."
        )
    elif suffix in _VECTOR_TABLES:
        frame = _read_vector_table(path, sheet)
        decimal = decimal or "."
        first_line = 1  # feature numbers: the first feature is row 1
    else:
        text = _decode(path.read_bytes(), path, encoding, report, layer)
        if not text.strip():
            raise InputDataError(f"{path} is empty; export the table again.")
        n_lines = len(text.splitlines())
        if skiprows >= n_lines:
            raise InputDataError(
                f"{path}: header_row = {skiprows + 1} lies beyond the file's last line "
                f"({n_lines}); set header_row to the line of the column names."
            )
        sep = sep or _sniff_sep("\n".join(text[:200_000].splitlines()[skiprows : skiprows + 20]))
        decimal = decimal or ("," if sep == ";" else ".")
        try:
            frame = _read_csv_text(path, text, sep, skiprows)
        except InputDataError as exc:
            hint = _header_hint(path, text, sep, sheet, [*text_columns, *(numeric_columns or ())])
            raise InputDataError(f"{exc}{hint}") from None
        first_line = skiprows + 2
    if decimal not in {".", ","}:
        raise InputDataError(f"{path}: decimal must be '.' or ',', not {decimal!r}.")

    frame.columns = [str(c).strip() for c in frame.columns]
    named = [*text_columns, *(numeric_columns or ())]
    if count_columns != "numeric":
        named += list(count_columns)
    if suffix not in _VECTOR_TABLES:
        raw_header = _raw_header(path, text, sep or ",", skiprows, sheet)
        twice = sorted({c for c in raw_header if c and raw_header.count(c) > 1})
        used = [c for c in twice if c in named]
        if used:
            raise InputDataError(
                f"{path}: column {used[0]!r} appears twice in the header (line "
                f"{skiprows + 1}); rename one of them so the study file names exactly one."
            )
        if twice and report is not None:
            report.add(
                "duplicate_columns",
                layer,
                f"{path.name}: column name(s) {listing(twice)} appear twice in the header; the "
                "study does not use them, the second is kept as name.1. Rename one of them.",
                severity="info",
                items=twice,
            )
    missing_cols = list(dict.fromkeys(c for c in named if c not in frame.columns))
    if missing_cols:
        hint = (
            "" if suffix in _VECTOR_TABLES else _header_hint(path, text, sep or ",", sheet, named)
        )
        where = ", ".join(f"{keys[c]} = {c!r}" for c in missing_cols if c in keys)
        raise InputDataError(
            f"{path}: column(s) {', '.join(missing_cols)} not found (columns: "
            f"{listing(frame.columns)}); fix the column names in the study file"
            f"{f' ({where})' if where else ''}.{hint}"
        )
    if len(frame) == 0:
        raise InputDataError(
            f"{path}: has a header but no data rows; export the table again with its rows."
        )
    frame.attrs["first_line"] = first_line

    candidates = (
        list(numeric_columns)
        if numeric_columns is not None
        else [c for c in frame.columns if c not in set(text_columns)]
    )
    bad_items: list[str] = []
    neg_items: list[str] = []
    huge_items: list[str] = []
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
        ci = cast(int, frame.columns.get_loc(col))  # one column: repeated names raised above
        # only columns named as counts: "8.403" in an auto-detected column may be a longitude
        named_count = count_columns != "numeric" and col in count_columns
        if decimal == "." and named_count and not pd.api.types.is_numeric_dtype(raw):
            dotted = raw.astype("string").str.strip().str.fullmatch(_DOT_THOUSANDS).fillna(False)
            if dotted.any():
                at = int(np.flatnonzero(dotted.to_numpy(bool))[0])
                value = str(raw.iloc[at]).strip()
                raise InputDataError(
                    f"{path}: cell {cell_ref(ci, int(lines[at]))} ({col}={value!r}) and "
                    f"{int(dotted.sum()) - 1} more: in this file the dot is the decimal point, "
                    f"so {value!r} would read as {float(value):g}, but counts are whole "
                    "numbers; the dot is probably a thousands separator (1.000 = 1000). "
                    "Remove the thousands separators, or save the table with ';' and "
                    "decimal comma."
                )
        # inf, 1e400 and numbers beyond what a count or year can be are not accepted
        inf = np.isinf(numbers.to_numpy(dtype=float))
        if inf.any():
            bad = bad | inf
            numbers = numbers.mask(inf)
        huge = (numbers.abs() > MAX_EXACT).to_numpy()
        if huge.any():
            huge_items += [
                f"{cell_ref(ci, int(ln))} ({col}={v!r})"
                for ln, v in zip(lines[huge], raw[huge], strict=True)
            ]
            numbers = numbers.mask(huge)
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
        n_missing = int(numbers.isna().sum()) - int(bad.sum()) - n_neg - int(huge.sum())
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
        if huge_items:
            report.add(
                "implausible_numbers",
                layer,
                f"{path.name}: {len(huge_items)} cell(s) hold numbers too large for a count or "
                f"year (beyond {MAX_EXACT:.0f}, e.g. beyond 64-bit integers) and were set to "
                "missing; correct them in the file.",
                severity="warning",
                items=huge_items,
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
            if col in text_columns:
                frame[col] = clean_control_characters(
                    frame[col], source=path.name, column=col, report=report, layer=layer
                )
    return frame


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
            f"{source}: {int(dirty.sum())} value(s) of column {column!r} held control "
            "characters (invisible bytes such as tabs, escapes or bells from a broken export); "
            "they were removed. Check the names in the file.",
            severity="warning",
            items=[
                f"{v.encode('unicode_escape').decode()[:60]} → {c}"
                for v, c in zip(text[dirty], cleaned[dirty], strict=True)
            ],
        )
    out = values.copy().astype(object)
    out[dirty] = cleaned[dirty].astype(object).to_numpy()
    return out
