"""The sheets of the XLSX workbook besides the indicator tables: metadata and data quality.

Both are tables of texts in the language of the export: the metadata sheet names the run's
parameters, thresholds, status notes and sources; the data-quality sheet lists the findings
of :class:`~sqe_geo.quality.QualityReport` with their severity and input in words.
:func:`style_sheet` gives every sheet of the workbook the same look.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sqe_geo.i18n.formatting import WITHHELD_MARK
from sqe_geo.i18n.messages import Message, has_text, text, use_language
from sqe_geo.quality import QualityReport
from sqe_geo.results import Results
from sqe_geo.stats.aggregate import LEVELS
from sqe_geo.stats.status import NOT_COMPUTED_MARK, status_note

_QUALITY_COLUMNS = ("severity", "layer", "check", "count", "message", "items")


def metadata_frame(results: Results, language: str = "de") -> pd.DataFrame:
    """The metadata sheet: the run's parameters, thresholds, status notes and sources.

    Parameters
    ----------
    results
        Output of :func:`sqe_geo.pipeline.run`.
    language
        ``"de"`` or ``"en"`` for the keys and notes.

    Returns
    -------
    pandas.DataFrame
        Two columns, item and value.
    """

    def key(entry: str, /, **params: object) -> str:
        return text(f"outputs.export.metadata.{entry}", language, **params)

    config = results.study.config
    rows = [parameter_row(k, v, language) for k, v in results.parameters.items()]
    acc = config.accessibility
    rows += [
        (key("walking_speed"), f"{acc.walking_speed_mps:g}"),
        (key("max_snap"), f"{acc.max_snap_m:g}"),
        (key("detour_factor"), f"{acc.detour_factor:g}"),
    ]
    if config.services is not None:
        for name, cat in config.services.categories.items():
            threshold = (
                f"{cat.threshold_min:g} min" if cat.threshold_min else f"{cat.threshold_m:g} m"
            )
            label = cat.label(language)
            rows.append((key("threshold", key=name, label=label), threshold))
    rows += [
        (key("max_unlocated_share"), f"{acc.max_unlocated_share:.0%}"),
        (key("unlocated_residents"), acc.unlocated_residents),
    ]
    codes: set[str] = set()
    for level in LEVELS:
        codes |= {str(c) for c in np.unique(results.status_of(level).to_numpy(dtype=str))}
    note = status_note(sorted(codes - {""}), language)
    if note:
        rows.append((key("status"), note))
    if config.demo:
        rows.append((key("note"), key("demo")))
    for source in config.sources:
        value = "; ".join(p for p in (source.licence, source.url, source.date, source.note) if p)
        rows.append((key("source", name=source.name), value))
    return pd.DataFrame(rows, columns=[key("item"), key("value")])


def parameter_row(name: str, value: object, language: str = "de") -> tuple[str, str]:
    """One parameter of the run as (label, value) in ``language``.

    The label comes from the catalog (``outputs.export.parameter.<name>``, the name in lower
    case with other characters as ``_``); a parameter without one keeps its name. A value
    that is a catalog :class:`~sqe_geo.i18n.messages.Message` is rendered in ``language``.

    Examples
    --------
    >>> parameter_row("computed at (UTC)", "2026-01-01 12:00", "de")
    ('berechnet am (UTC)', '2026-01-01 12:00')
    >>> parameter_row("something new", 3, "en")
    ('something new', '3')
    """
    key = "outputs.export.parameter." + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    label = text(key, language) if has_text(key) else name
    shown = value.render(language) if isinstance(value, Message) else str(value or "")
    return label, shown


def quality_frame(report: QualityReport, language: str = "de") -> pd.DataFrame:
    """The data-quality sheet: one row per finding, in the language of the export.

    Severity and input are words of the common catalog section; the check stays its id
    (what a maintainer searches for); the sentence is the finding's message rendered in
    ``language``.

    Parameters
    ----------
    report
        The run's data-quality report.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        Columns severity, input, check, count, message, affected records.
    """
    columns = [text(f"outputs.export.quality.{c}", language) for c in _QUALITY_COLUMNS]
    with use_language(language):
        rows = [
            (
                _common("severity", f.severity, language),
                _common("layer", f.layer, language),
                f.check,
                f.count,
                f.message,
                f.listed(),
            )
            for f in report.findings
        ]
    return pd.DataFrame(rows, columns=columns)


def _common(table: str, value: str, language: str) -> str:
    key = f"common.{table}.{value}"
    return text(key, language) if has_text(key) else value


def text_not_formulas(sheet: Worksheet) -> None:
    """Store every cell openpyxl took for a formula (text starting with ``=``) as text."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def style_sheet(sheet: Worksheet) -> None:
    """Bold shaded header, frozen first row and column, fitted widths, marks right-aligned."""
    header_fill = PatternFill("solid", fgColor="DDE5F0")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    for idx, column in enumerate(sheet.iter_cols(min_row=1, max_row=min(sheet.max_row, 60)), 1):
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        sheet.column_dimensions[get_column_letter(idx)].width = min(max(10, width + 2), 60)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.value in (WITHHELD_MARK, *NOT_COMPUTED_MARK.values()):
                cell.alignment = Alignment(horizontal="right")
