"""Readers for the City of Karlsruhe's Transparenzportal statistics CSVs.

The portal publishes one CSV per age band, keyed by Stadtteil *name*, one row per year::

    "Stadtteil","Jahr","Personen","männlich","weiblich"
    "Innenstadt-Ost","2007",102,52,50

:func:`read_portal_csv` reads one such file into the long demographics layout
(``quarter_key``, ``year``, value columns); :func:`read_portal_bands` combines several band
files into one wide table with one column per age band. Matching ``quarter_key`` to the
quarters is done with :func:`sqe_geo.io.keys.add_quarter_ids` (or
:func:`sqe_geo.io.keys.match_keys`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.table_numbers import cell_ref
from sqe_geo.io.tables import read_table
from sqe_geo.quality import QualityReport

__all__ = ["band_label_from_filename", "read_portal_bands", "read_portal_csv"]

_SHARE_HINT = re.compile(r"%|anteil|quote|prozent|durchschnitt", re.IGNORECASE)
_BAND_UNDER = re.compile(r"unter-(\d+)-jahrige")
_BAND_RANGE = re.compile(r"(\d+)-bis-unter-(\d+)-jahrige")
_BAND_PLUS = re.compile(r"(\d+)-jahrige-(?:und-alter|und-aelter|und-mehr|und-darueber)")


def band_label_from_filename(filename: str | Path) -> str | None:
    """Derive an age-band label from a Transparenzportal file name.

    ``…-unter-3-jahrige-…`` → ``"0-2"``, ``…-65-bis-unter-75-jahrige-…`` → ``"65-74"``,
    ``…-75-jahrige-und-alter-…`` → ``"75+"``; ``None`` when the name has no band.
    Upper bounds are inclusive whole years.
    """
    name = Path(filename).name.lower()
    if m := _BAND_RANGE.search(name):
        return f"{int(m.group(1))}-{int(m.group(2)) - 1}"
    if m := _BAND_PLUS.search(name):
        return f"{int(m.group(1))}+"
    if m := _BAND_UNDER.search(name):
        return f"0-{int(m.group(1)) - 1}"
    return None


def read_portal_csv(
    path: str | Path,
    *,
    key_column: str = "Stadtteil",
    year_column: str = "Jahr",
    report: QualityReport | None = None,
    layer: str = "demographics",
) -> pd.DataFrame:
    """Read one Transparenzportal CSV into the long demographics layout.

    Parameters
    ----------
    path
        CSV in the portal layout (any separator/encoding :func:`sqe_geo.io.tables.read_table`
        understands).
    key_column, year_column
        Names of the Stadtteil and year columns in the file.
    report
        Receives the :func:`~sqe_geo.io.tables.read_table` findings plus ``invalid_year``
        (rows whose year is not a whole number; dropped, cell listed), ``missing_key``
        (rows without a Stadtteil name; dropped) and ``duplicate_rows`` (repeated
        Stadtteil/year pairs; the first is kept).
    layer
        Layer name for the findings.

    Returns
    -------
    pandas.DataFrame
        Columns ``quarter_key`` (name as in the file), ``year`` (``int64``) and the value
        columns as in the file (``float64``), in file order.

    Raises
    ------
    InputDataError
        If the file is missing or unreadable, or lacks the key or year column.
    """
    path = Path(path)
    # First pass only to learn the columns; findings come from the second, typed pass.
    frame = read_table(path, text_columns=[], numeric_columns=[], report=None, layer=layer)
    for col in (key_column, year_column):
        if col not in frame.columns:
            raise InputDataError(
                Message(
                    "io.portal.not_portal_table",
                    path=str(path),
                    column=col,
                    columns=", ".join(frame.columns),
                )
            )
    values = [c for c in frame.columns if c not in (key_column, year_column)]
    counts = [c for c in values if not _SHARE_HINT.search(c)]
    frame = read_table(
        path,
        text_columns=[key_column, year_column],
        numeric_columns=values,
        count_columns=counts,
        report=report,
        layer=layer,
    )
    lines = np.arange(len(frame)) + 2
    keys = frame[key_column].astype("string").str.strip()
    year_num = pd.to_numeric(frame[year_column].astype("string").str.strip(), errors="coerce")
    bad_year = (year_num.isna() | (year_num % 1 != 0)).to_numpy()
    no_key = (keys.isna() | (keys == "")).to_numpy()
    if report is not None and bad_year.any():
        yi = cast(int, frame.columns.get_loc(year_column))  # read_table rejects duplicates
        report.add(
            "invalid_year",
            layer,
            Message(
                "io.portal.invalid_year", name=path.name, n=int(bad_year.sum()), column=year_column
            ),
            items=[
                f"{cell_ref(yi, int(ln))} ({year_column}={v!r})"
                for ln, v in zip(lines[bad_year], frame[year_column][bad_year], strict=True)
            ],
        )
    if report is not None and (no_key & ~bad_year).any():
        report.add(
            "missing_key",
            layer,
            Message(
                "io.portal.missing_key",
                name=path.name,
                n=int((no_key & ~bad_year).sum()),
                column=key_column,
            ),
            items=[f"line {int(ln)}" for ln in lines[no_key & ~bad_year]],
        )
    keep = ~(bad_year | no_key)
    out = pd.DataFrame(
        {
            "quarter_key": keys[keep].astype(object).to_numpy(),
            "year": year_num[keep].astype("int64").to_numpy(),
        }
    )
    for col in values:
        out[col] = frame[col].to_numpy()[keep]
    dup = out.duplicated(["quarter_key", "year"], keep="first").to_numpy()
    if dup.any():
        if report is not None:
            report.add(
                "duplicate_rows",
                layer,
                Message("io.portal.duplicate_rows", name=path.name, n=int(dup.sum())),
                items=[
                    f"line {int(ln)} ({k}, {y})"
                    for ln, k, y in zip(
                        lines[keep][dup], out["quarter_key"][dup], out["year"][dup], strict=True
                    )
                ],
            )
        out = out.loc[~dup].reset_index(drop=True)
    return out


def read_portal_bands(
    bands: Mapping[str, str] | Mapping[Path, str],
    *,
    directory: str | Path | None = None,
    value_column: str = "Personen",
    key_column: str = "Stadtteil",
    year_column: str = "Jahr",
    report: QualityReport | None = None,
    layer: str = "demographics",
) -> pd.DataFrame:
    """Combine one-file-per-age-band portal CSVs into one wide demographics table.

    Parameters
    ----------
    bands
        File → band name, e.g. ``{"altersstruktur-der-bevolkerung-unter-3-jahrige-nach-
        geschlecht.csv": "0-2"}``. Relative file names are resolved against ``directory``.
        Several files may map to the same band; their values are summed (a row missing in
        one of them gives a missing sum, reported).
    directory
        Folder of relative file names (default: the current directory).
    value_column
        Column taken from each file (``"Personen"``, ``"männlich"`` or ``"weiblich"``).
    key_column, year_column
        As in :func:`read_portal_csv`.
    report
        Receives the findings of :func:`read_portal_csv` for every file, plus
        ``missing_band_values`` (Stadtteil/year pairs present in some band files but not in
        others; the cell stays missing) and ``bands_summed`` (info, when several files make
        one band).
    layer
        Layer name for the findings.

    Returns
    -------
    pandas.DataFrame
        ``quarter_key``, ``year`` and one ``float64`` column per band (in first-mention order),
        sorted by ``quarter_key`` and ``year``.

    Raises
    ------
    InputDataError
        If ``bands`` is empty, a file is missing/unreadable or lacks ``value_column``.
    """
    if not bands:
        raise InputDataError(Message("io.portal.no_bands"))
    base = Path(directory) if directory is not None else None
    per_band: dict[str, list[tuple[str, pd.Series]]] = {}
    for file, band in bands.items():
        path = Path(file)
        if base is not None and not path.is_absolute():
            path = base / path
        table = read_portal_csv(
            path, key_column=key_column, year_column=year_column, report=report, layer=layer
        )
        if value_column not in table.columns:
            values = ", ".join(c for c in table.columns if c not in ("quarter_key", "year"))
            raise InputDataError(
                Message(
                    "io.portal.value_column_missing",
                    path=str(path),
                    column=value_column,
                    columns=values,
                )
            )
        series = table.set_index(["quarter_key", "year"])[value_column]
        per_band.setdefault(str(band), []).append((path.name, series))

    index = pd.MultiIndex.from_tuples(
        sorted({i for parts in per_band.values() for _, s in parts for i in s.index}),
        names=["quarter_key", "year"],
    )
    wide = pd.DataFrame(index=index)
    gaps: list[str] = []
    for band, parts in per_band.items():
        aligned = [s.reindex(index) for _, s in parts]
        for name, s in parts:
            # pandas-stubs: MultiIndex.difference takes any Index, not only a list/MultiIndex
            missing = index.difference(s.index)  # type: ignore[arg-type]
            gaps += [f"{k} {y}: {band} ({name})" for k, y in missing]
        total = aligned[0]
        for col in aligned[1:]:
            total = total + col  # NaN in any part → NaN: a partial sum would undercount
        wide[band] = total.astype(float)
        if len(parts) > 1 and report is not None:
            report.add(
                "bands_summed",
                layer,
                Message("io.portal.bands_summed", band=band, n=len(parts)),
                severity="info",
                items=[n for n, _ in parts],
            )
    if gaps and report is not None:
        report.add(
            "missing_band_values",
            layer,
            Message("io.portal.missing_band_values", n=len(gaps)),
            items=gaps,
        )
    return wide.reset_index()
