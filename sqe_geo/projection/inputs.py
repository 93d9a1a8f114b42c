"""Reading the study's own projection inputs: migration rates and official totals.

Both are ordinary statistics tables (CSV or XLSX, read with
:func:`sqe_geo.io.tables.read_table`, so separators, decimal commas and encodings are
detected as for the demographics):

* migration rates: ``age`` (a band of the projection such as ``20-64``), ``main`` and
  optionally ``low``, ``high``, ``sex``, ``quarter_id`` — persons per 1,000 residents of the
  band and year (see :func:`~sqe_geo.projection.migration.migration_from_table`);
* official totals: ``year``, ``total`` and optionally one column per band
  (``age_0_19``, ``age_80plus`` …, all of them or none) — the municipality's projection.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.tables import read_table
from sqe_geo.projection.projection import OfficialTotal, band_column
from sqe_geo.projection.rates import AgeBand
from sqe_geo.quality import QualityReport

__all__ = ["read_migration_rates", "read_official_totals"]


def read_migration_rates(path: Path, report: QualityReport | None = None) -> pd.DataFrame:
    """Read a table of net migration rates per 1,000 residents.

    Parameters
    ----------
    path
        CSV or XLSX with ``age``, ``main`` and optionally ``low``, ``high``, ``sex``,
        ``quarter_id``.
    report
        Receives the reader's findings (unusable cells become missing and are listed).

    Returns
    -------
    pandas.DataFrame
        The table with text ``age``, ``sex``, ``quarter_id`` and numeric rate columns.

    Raises
    ------
    InputDataError
        If the file is unreadable, lacks ``age`` or ``main``, or a ``main`` cell is empty.
    """
    head = read_table(path, text_columns=[], numeric_columns=[], layer="migration")
    missing = [c for c in ("age", "main") if c not in head.columns]
    if missing:
        raise InputDataError(
            Message("projection.table_columns", source=path.name, missing=", ".join(missing))
        )
    rates = [c for c in ("main", "low", "high") if c in head.columns]
    texts = [c for c in ("age", "sex", "quarter_id") if c in head.columns]
    table = read_table(
        path,
        text_columns=texts,
        numeric_columns=rates,
        count_columns=[],
        report=report,
        layer="migration",
    )
    if table["main"].isna().any():
        raise InputDataError(Message("projection.empty_cells", source=path.name, column="main"))
    return table


def read_official_totals(
    path: Path, bands: tuple[AgeBand, ...], report: QualityReport | None = None
) -> dict[int, OfficialTotal]:
    """Read the municipality's official projected totals per year.

    Parameters
    ----------
    path
        CSV or XLSX with ``year``, ``total`` and optionally a column per band.
    bands
        The projection's age bands.
    report
        Receives the reader's findings.

    Returns
    -------
    dict
        Year → :class:`~sqe_geo.projection.projection.OfficialTotal`.

    Raises
    ------
    InputDataError
        If ``year`` or ``total`` is missing, only some band columns are present, or a cell
        of a used column is empty.
    """
    head = read_table(path, text_columns=[], numeric_columns=[], layer="official")
    columns = [band_column(b) for b in bands]
    present = [c for c in columns if c in head.columns]
    missing = [c for c in ("year", "total") if c not in head.columns]
    if present and len(present) < len(columns):
        missing += [c for c in columns if c not in present]
    if missing:
        raise InputDataError(
            Message("projection.official_columns", source=path.name, missing=", ".join(missing))
        )
    table = read_table(
        path, numeric_columns=["year", "total", *present], report=report, layer="official"
    )
    empty = [c for c in ("year", "total", *present) if table[c].isna().any()]
    if empty:
        raise InputDataError(
            Message("projection.empty_cells", source=path.name, column=", ".join(empty))
        )
    return {
        int(row["year"]): OfficialTotal(
            float(row["total"]),
            np.array([float(row[c]) for c in present]) if present else None,
        )
        for row in table.to_dict("records")
    }
