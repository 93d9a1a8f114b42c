"""Loading a study's demographics: the residents table, or sums of the Zensus grid.

:func:`read_demographics` reads the table named in ``[demographics]`` (wide, long,
Transparenzportal) into the canonical per-quarter, per-year table of age groups, or sums
the Zensus 2022 grid cells of :func:`read_grid_cells` per quarter. Rows without a key are
left out and reported by :func:`drop_empty_keys` (also used for planning-area tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.config import AgeGroupsConfig
from sqe_geo.config_layers import DemographicsConfig, PopulationGridConfig
from sqe_geo.i18n.messages import Message, text
from sqe_geo.io.keys import add_quarter_ids
from sqe_geo.io.layers import is_zensus_grid
from sqe_geo.io.portal import read_portal_bands
from sqe_geo.io.tables import TableLayout, read_table
from sqe_geo.population.demographics import canonical_counts, to_wide
from sqe_geo.population.zensus import zensus_to_quarters
from sqe_geo.population.zensus_ages import zensus_age_groups
from sqe_geo.population.zensus_csv import ZENSUS_CRS, read_zensus_grid
from sqe_geo.quality import QualityReport


def read_grid_cells(
    grid: PopulationGridConfig | None,
    age_groups: AgeGroupsConfig,
    quarters: gpd.GeoDataFrame,
    report: QualityReport,
) -> gpd.GeoDataFrame | None:
    """Zensus 2022 grid cells of the study area when the population grid is Zensus CSVs.

    Every topic file is read only within the quarters' bounding box and merged on the cell
    id; the age groups the published bands tile exactly are added.

    Parameters
    ----------
    grid
        The study's ``[population_grid]`` section, if any.
    age_groups
        The study's age groups (where working age and older residents begin).
    quarters
        The quarters (their bounding box limits what is read).
    report
        Receives the findings of the Zensus reader.

    Returns
    -------
    geopandas.GeoDataFrame or None
        The cells with their counts; None when the grid is not Zensus CSVs.
    """
    if grid is None or not is_zensus_grid(grid.path):
        return None
    bbox = quarters.to_crs(ZENSUS_CRS).total_bounds
    cells: gpd.GeoDataFrame | None = None
    for path in [Path(grid.path), *map(Path, grid.additional_paths)]:
        part = read_zensus_grid(path, bbox=bbox, report=report)
        if cells is None:
            cells = part
            continue
        new = [c for c in part.columns if c not in cells.columns or c == "cell_id"]
        merged = cells.merge(pd.DataFrame(part[new]), on="cell_id", how="outer")
        # cells missing from one topic still need their geometry
        geometry = merged.geometry.fillna(merged["cell_id"].map(part.set_index("cell_id").geometry))
        cells = gpd.GeoDataFrame(merged, geometry=geometry, crs=ZENSUS_CRS)
    assert cells is not None
    ranges = age_groups.ranges()
    return zensus_age_groups(
        cells,
        working_age_from=ranges["working_age"][0],
        older_from=ranges["older"][0],
        report=report,
    )


def _zensus_demographics(
    year: int | None,
    quarters: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame | None,
    report: QualityReport,
) -> pd.DataFrame:
    """Demographics as sums of the Zensus grid per quarter (year 2022 unless stated)."""
    if cells is None:
        raise InputDataError(Message("study.demographics.no_zensus_grid"))
    sums = zensus_to_quarters(cells, quarters[["quarter_id", "geometry"]], report=report)
    sums = sums.reset_index()
    sums.insert(1, "year", year or 2022)
    report.add(
        "demographics_from_zensus",
        "demographics",
        Message("study.demographics.from_zensus"),
    )
    return sums


def read_demographics(
    dc: DemographicsConfig,
    age_groups: AgeGroupsConfig,
    quarters: gpd.GeoDataFrame,
    report: QualityReport,
    cells: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Read the demographics table into the canonical per-quarter, per-year table.

    Parameters
    ----------
    dc
        The study's ``[demographics]`` section.
    age_groups
        The study's age groups, formed from the table's bands.
    quarters
        The quarters the table's keys are matched to.
    report
        Receives the findings (keys matched loosely, empty keys, missing quarters …).
    cells
        The Zensus grid cells (:func:`read_grid_cells`), for the layout ``zensus``.

    Returns
    -------
    pandas.DataFrame
        ``quarter_id``, ``year`` and one column per age group, sorted.
    """
    if dc.layout == "zensus":
        return _zensus_demographics(dc.year, quarters, cells, report)
    wide, dc, source = _read_wide(dc, report)
    assert dc.key_column is not None  # required by the study model (the portal sets its own)
    wide = add_quarter_ids(
        wide, quarters, key_column=dc.key_column, report=report, layer="demographics",
        source=source,
    )  # fmt: skip
    unmatched = wide["quarter_id"].isna()
    if unmatched.all():
        raise InputDataError(
            Message(
                "study.demographics.no_key_matches",
                column=repr(dc.key_column),
                source=source,
                example=repr(wide[_key_in(wide, dc.key_column)].iloc[0]),
            )
        )
    wide = wide.loc[~unmatched]
    counts = canonical_counts(wide, dc, age_groups.model_dump(), source=source, report=report)
    _check_rows(counts, quarters, source, report)
    return counts.sort_values(["year", "quarter_id"]).reset_index(drop=True)


def _read_wide(
    dc: DemographicsConfig, report: QualityReport
) -> tuple[pd.DataFrame, DemographicsConfig, str]:
    """The table in wide form, the section naming its columns, and the file name(s)."""
    if dc.layout == "portal":
        assert dc.files is not None
        source = ", ".join(Path(f).name for f in dc.files)
        wide = read_portal_bands(
            dc.files, value_column=dc.value_column or "Personen", report=report
        )
        # the portal reader names its key and year columns itself
        dc = dc.model_copy(update={"key_column": "quarter_key", "year_column": "year"})
        return wide, dc, source
    assert dc.path is not None
    source = dc.source_name()
    if dc.layout == "long":
        count_columns = [dc.value_column]
        text_columns = [dc.key_column, dc.band_column]
    else:
        count_columns = [dc.total_column, *dc.bands]
        text_columns = [dc.key_column]
    raw = read_table(
        dc.source(),
        TableLayout(sheet=dc.layer or dc.sheet, header_row=dc.header_row),
        text_columns=[c for c in text_columns if c],
        numeric_columns=[c for c in (*count_columns, dc.year_column) if c],
        count_columns=[c for c in count_columns if c],
        report=report,
        keys=_demographics_keys(dc),
    )
    raw = drop_empty_keys(raw, dc.key_column, source, report, "demographics", count_columns)
    _check_years(raw, dc.year_column, source)
    return to_wide(raw, dc, source=source), dc, source


def _check_rows(
    counts: pd.DataFrame, quarters: pd.DataFrame, source: str, report: QualityReport
) -> None:
    """One row per quarter and year (an error otherwise); quarters without a row reported."""
    duplicated = counts.duplicated(["quarter_id", "year"], keep=False)
    if duplicated.any():
        rows = counts.loc[duplicated, ["quarter_id", "year"]].drop_duplicates()
        raise InputDataError(
            Message(
                "study.demographics.several_rows",
                source=source,
                rows=", ".join(f"{q}/{y}" for q, y in rows.itertuples(index=False)),
            )
        )
    for year, sub in counts.groupby("year"):
        absent = sorted(set(quarters["quarter_id"]) - set(sub["quarter_id"]))
        if absent:
            report.add(
                "quarter_without_demographics",
                "demographics",
                Message(
                    "study.demographics.quarter_without_row",
                    source=source,
                    year=year,
                    n=len(absent),
                ),
                items=absent,
            )


def _demographics_keys(dc: DemographicsConfig) -> dict[str, str]:
    """Column -> the [demographics] key naming it (for messages about missing columns)."""
    named = {
        dc.key_column: "key_column",
        dc.year_column: "year_column",
        dc.total_column: "total_column",
        dc.band_column: "band_column",
        dc.value_column: "value_column",
    }
    keys = {c: f"[demographics] {k}" for c, k in named.items() if c}
    keys.update({c: "[demographics.bands]" for c in dc.bands if c not in keys})
    return keys


def _key_in(wide: pd.DataFrame, key_column: str | None) -> str:
    """The column holding the table's keys (add_quarter_ids renames a key quarter_id)."""
    return "quarter_key" if key_column == "quarter_id" else str(key_column)


def _check_years(table: pd.DataFrame, column: str | None, source: str) -> None:
    """Refuse a year column with cells that are not whole years (never guessed or cut)."""
    if column is None or column not in table.columns:
        return
    years = pd.to_numeric(table[column], errors="coerce")
    bad = (years.isna() | (years != years.round()) | ~years.between(1800, 2200)).to_numpy()
    if not bad.any():
        return
    lines = np.flatnonzero(bad) + int(table.attrs.get("first_line", 2))
    raise InputDataError(
        Message(
            "study.demographics.bad_years",
            source=source,
            column=repr(column),
            n=int(bad.sum()),
            lines=line_list([int(ln) for ln in lines]),
        )
    )


def line_list(lines: Sequence[int], limit: int = 10) -> Message:
    """Line numbers for a message (``line 3, line 7 …``), rendered in the reader's language.

    Parameters
    ----------
    lines
        File line numbers (at least one).
    limit
        At most this many are listed, then ``…``.

    Returns
    -------
    Message
        The list as a catalog message.
    """
    message = Message("study.quarters.line", line=lines[0])
    for line in lines[1:limit]:
        message = Message("study.quarters.line_next", previous=message, line=line)
    return Message("study.quarters.lines_more", previous=message) if len(lines) > limit else message


def drop_empty_keys(
    table: pd.DataFrame,
    key_column: str | None,
    source: str,
    report: QualityReport,
    layer: str,
    counts: list[str | None] | None = None,
) -> pd.DataFrame:
    """Leave out rows without a key, listing each with its line and residents (never silent).

    Parameters
    ----------
    table
        A table as read (``attrs["first_line"]``: the file line of its first row).
    key_column
        The column of quarter ids or names.
    source
        The file name, for the finding.
    report
        Receives the finding ``empty_keys``.
    layer
        The input the finding is about (``"demographics"``, ``"planning_areas"``).
    counts
        Count columns; the first present one gives the residents of each left-out row.

    Returns
    -------
    pandas.DataFrame
        The rows with a key.
    """
    if key_column is None or key_column not in table.columns:
        return table
    keys = table[key_column]
    empty = (keys.isna() | (keys.astype("string").str.strip() == "")).fillna(True).to_numpy(bool)
    if not empty.any():
        return table
    first_line = int(table.attrs.get("first_line", 2))
    lines = np.flatnonzero(empty) + first_line
    items = [text("study.quarters.line", line=ln) for ln in lines]
    total = next((c for c in counts or () if c and c in table.columns), None)
    lost: Message | str = ""
    if total is not None:
        values = pd.to_numeric(table.loc[empty, total], errors="coerce")
        items = [
            text("study.quarters.line_with_count", line=ln, column=total, value=f"{v:,.0f}")
            if v == v
            else text("study.quarters.line", line=ln)
            for ln, v in zip(lines, values, strict=True)
        ]
        lost = Message(
            "study.quarters.lost_count", value=f"{values.sum():,.0f}", column=repr(total)
        )
    report.add(
        "empty_keys",
        layer,
        Message(
            "study.quarters.empty_keys",
            source=source,
            n=int(empty.sum()),
            column=repr(key_column),
            lost=lost,
        ),
        severity="warning",
        items=items,
    )
    return table.loc[~empty]


def report_fractional(demographics: pd.DataFrame, report: QualityReport) -> None:
    """Fractional counts (modelled data) are used as they are, never truncated: say so.

    Parameters
    ----------
    demographics
        The canonical demographics table (``quarter_id``, ``year``, age groups).
    report
        Receives the ``fractional_counts`` finding (severity info).
    """
    groups = [c for c in demographics.columns if c not in ("quarter_id", "year")]
    numbers = demographics[groups].apply(pd.to_numeric, errors="coerce")
    fractional = (numbers - numbers.round()).abs() > 1e-9
    if fractional.any().any():
        rows = demographics.loc[fractional.any(axis=1), ["quarter_id", "year"]]
        columns = ", ".join(fractional.columns[fractional.any()])
        report.add(
            "fractional_counts",
            "demographics",
            Message("stats.run.fractional_counts", n=int(fractional.sum().sum()), columns=columns),
            severity="info",
            items=[f"{q} ({y})" for q, y in rows.itertuples(index=False)],
        )
