"""The raw side of the table reader: bytes to text, text or workbook to a frame of cells.

:func:`sqe_geo.io.tables.read_table` is the one table reader of the package; this module holds
its first steps: decoding a text file (UTF-8 with or without byte-order mark, UTF-16 with a
byte-order mark, Windows-1252 as fallback), sniffing the separator, parsing CSV text, reading
an XLSX sheet or the attribute table of a vector file, and reading the header as written.
Every cell is kept as text here; numbers are parsed by :mod:`sqe_geo.io.table_numbers`.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from sqe_geo._errors import InputDataError, listing
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "VECTOR_TABLES",
    "decode_table_text",
    "header_hint",
    "raw_header",
    "read_csv_text",
    "read_vector_table",
    "read_xlsx",
    "sniff_separator",
]

#: Attribute tables of vector files that can hold demographics.
VECTOR_TABLES = frozenset(
    {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".parquet", ".geoparquet"}
)


def decode_table_text(
    raw: bytes, path: Path, encoding: str | None, report: QualityReport | None, layer: str
) -> str:
    """Decode the bytes of a text table.

    Parameters
    ----------
    raw
        The file's content.
    path
        The file (for messages).
    encoding
        The encoding named in the study file; when ``None``: UTF-8 (with or without BOM),
        UTF-16 with a BOM, and Windows-1252 as fallback (reported).
    report, layer
        Receive ``encoding_utf16`` and ``encoding_fallback`` (info).

    Raises
    ------
    InputDataError
        If the bytes cannot be decoded, or are an archive or binary data.
    """
    if encoding is not None:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputDataError(
                Message(
                    "io.tables.decode_failed",
                    path=str(path),
                    encoding=encoding,
                    reason=exc.reason,
                    start=exc.start,
                )
            ) from exc
    with_bom = _decode_with_bom(raw, path, report, layer)
    if with_bom is not None:
        return with_bom
    _refuse_binary(raw[:4096], path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        if report is not None:
            report.add(
                "encoding_fallback",
                layer,
                Message("io.tables.cp1252_fallback", name=path.name),
                severity="info",
                items=[path.name],
            )
        return text


def _decode_with_bom(
    raw: bytes, path: Path, report: QualityReport | None, layer: str
) -> str | None:
    """The text of a file with a UTF-8 or UTF-16 byte-order mark; ``None`` without one."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start + 3].count(b"\n") + 1
            raise InputDataError(
                Message(
                    "io.tables.bom_not_utf8",
                    path=str(path),
                    reason=exc.reason,
                    start=exc.start + 3,
                    line=line,
                )
            ) from None
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        text = raw.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            Message(
                "io.tables.utf16_undecodable", path=str(path), reason=exc.reason, start=exc.start
            )
        ) from None
    if report is not None:
        report.add(
            "encoding_utf16",
            layer,
            Message("io.tables.utf16_read", name=path.name),
            severity="info",
            items=[path.name],
        )
    return text


def _refuse_binary(head: bytes, path: Path) -> None:
    """Refuse archives, UTF-16 without byte-order mark and binary data."""
    if head.startswith(b"PK\x03\x04"):
        raise InputDataError(Message("io.tables.zip_not_table", path=str(path)))
    if head.count(0) > len(head) // 100 + 1:  # a stray NUL in a name is cleaned later
        zeros_odd = head[1::2].count(0) > len(head) // 4
        zeros_even = head[0::2].count(0) > len(head) // 4
        if zeros_odd != zeros_even:
            raise InputDataError(Message("io.tables.utf16_without_bom", path=str(path)))
        raise InputDataError(Message("io.tables.binary", path=str(path)))


def sniff_separator(text: str) -> str:
    """The field separator of a short sample of CSV text (``;``, ``,``, tab or ``|``)."""
    sample = "\n".join(text.splitlines()[:20])  # text is already a short sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_csv_text(
    path: Path, text: str, sep: str, skiprows: int, wanted: Sequence[str]
) -> pd.DataFrame:
    """Parse CSV text into a frame of text cells.

    Parameters
    ----------
    path
        The file (for messages).
    text
        The decoded content.
    sep
        Field separator.
    skiprows
        Lines above the header.
    wanted
        Columns the caller needs; a parse error suggests ``header_row`` when they sit lower.

    Raises
    ------
    InputDataError
        If the text cannot be parsed with ``sep``.
    """
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
            Message(
                "io.tables.csv_unparsable",
                path=str(path),
                sep=sep,
                detail=str(exc).strip()[:200],
                hint=header_hint(path, text, sep, None, wanted),
            )
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
            Message(
                "io.tables.formulas_without_value",
                path=str(path),
                n=len(empty),
                cells=", ".join(empty[:10]) + (" …" if len(empty) > 10 else ""),
            )
        )


def read_xlsx(path: Path, sheet: str | int | None, skiprows: int) -> pd.DataFrame:
    """Read one sheet of an XLSX workbook (cells as read; formulas need a saved value).

    Raises
    ------
    InputDataError
        If the sheet does not exist, a formula has no saved value or the file is damaged.
    """
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
            Message("io.tables.sheet_missing", path=str(path), sheet=sheet, detail=str(exc))
        ) from None
    except ValueError as exc:
        raise InputDataError(
            Message(
                "io.tables.sheet_unreadable", path=str(path), sheet=sheet, detail=str(exc)[:200]
            )
        ) from None
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise InputDataError(Message("io.tables.xlsx_needs_openpyxl", path=str(path))) from exc
    except Exception as exc:  # zipfile, XML and openpyxl errors of a damaged workbook
        raise InputDataError(
            Message("io.tables.xlsx_invalid", path=str(path), detail=type(exc).__name__)
        ) from None


def read_vector_table(path: Path, layer: str | int | None) -> pd.DataFrame:
    """The attribute table of a vector file (demographics kept with the geometries).

    Raises
    ------
    InputDataError
        If the file holds several layers and none is named, or cannot be read.
    """
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
                    Message(
                        "io.tables.vector_several_layers",
                        path=str(path),
                        layers=listing(layers[:, 0]),
                    )
                )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table: pd.DataFrame = pyogrio.read_dataframe(source, layer=layer, read_geometry=False)
            return table
    except InputDataError:
        raise
    except Exception as exc:  # GDAL raises many types for unreadable files
        raise InputDataError(
            Message("io.tables.vector_unreadable", path=str(path), detail=str(exc)[:200])
        ) from None


def raw_header(
    path: Path, text: str | None, sep: str, skiprows: int, sheet: str | int | None
) -> list[str]:
    """The header as written (pandas renames a repeated name to ``name.1``).

    Parameters
    ----------
    path
        The file (read again for XLSX, when ``text`` is ``None``).
    text
        The decoded content of a text table, ``None`` for a workbook.
    sep
        Field separator of a text table.
    skiprows
        Lines above the header.
    sheet
        Worksheet of a workbook.
    """
    if text is not None:
        lines = text.splitlines()
        if skiprows >= len(lines):
            return []
        return [c.strip() for c in next(csv.reader([lines[skiprows]], delimiter=sep), [])]
    rows = _xlsx_rows(path, sheet, skiprows + 1)
    return [str(c).strip() for c in rows[skiprows] if c is not None] if len(rows) > skiprows else []


def header_hint(
    path: Path, text: str | None, sep: str, sheet: str | int | None, wanted: Sequence[str]
) -> Message | str:
    """A sentence suggesting ``header_row`` when the named columns sit lower in the file.

    Parameters
    ----------
    path, text, sep, sheet
        As in :func:`raw_header`.
    wanted
        The columns the caller needs.

    Returns
    -------
    Message or str
        The hint (it starts with a space), or ``""`` when there is none.
    """
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
            return Message("io.tables.header_hint", column=found[0], line=number)
    return ""
