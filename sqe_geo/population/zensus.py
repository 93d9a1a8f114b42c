"""Zensus 2022 grid cells as origins, quarter sums or a raster.

Cells come from :func:`sqe_geo.population.zensus_csv.read_zensus_grid` (usually after
:func:`sqe_geo.population.zensus_ages.zensus_age_groups`). Each cell goes wholly to the quarter
containing its centre; cells cut by a boundary and cells lost at the edge are reported.
Zensus counts are perturbed by the cell-key method: their sums are not official totals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import (
    AGE_GROUPS,
    assign_quarters,
    attach_report,
    check_counts,
    check_group,
    check_quarters,
    new_report,
    origins_frame,
    report_ties,
    residents_text,
    split_outside,
)
from sqe_geo.population.raster_writer import write_population_raster
from sqe_geo.population.zensus_csv import CELL_KEY_NOTE, ZENSUS_CRS
from sqe_geo.quality import QualityReport

_RES_IN_ID = re.compile(r"RES(\d+)(m|km)")


def _resolution(cells: gpd.GeoDataFrame, resolution_m: float | None) -> float:
    if resolution_m is not None:
        return float(resolution_m)
    if "zensus_resolution_m" in cells.attrs:
        return float(cells.attrs["zensus_resolution_m"])
    if "cell_id" in cells.columns and len(cells):
        found = cells["cell_id"].astype(str).str.extract(_RES_IN_ID).dropna()
        if len(found):
            metres = found[0].astype(int) * np.where(found[1] == "km", 1000, 1)
            if metres.nunique() == 1:
                return float(metres.iloc[0])
    raise InputDataError(Message("population.zensus.no_resolution"))


def _count_columns(cells: pd.DataFrame, count_columns: Mapping[str, str] | None) -> dict[str, str]:
    if count_columns is None:
        mapping = {g: g for g in AGE_GROUPS if g in cells.columns}
        if not mapping:
            raise InputDataError(Message("population.zensus.no_age_groups"))
        return mapping
    missing = [c for c in count_columns if c not in cells.columns]
    if missing:
        raise InputDataError(
            Message(
                "population.zensus.count_columns_missing",
                missing=missing,
                columns=list(cells.columns),
            )
        )
    for column, group in count_columns.items():
        check_group(group, where=f"count_columns[{column!r}]")
    return dict(count_columns)


def _centres_and_squares(
    geoms: np.ndarray, crs: object, res: float, quarters_crs: object
) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres and cell squares (from either) in the CRS of the quarters."""
    if len(geoms) and shapely.get_type_id(geoms).max() == 0:  # points: build the squares
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        squares = shapely.box(x - res / 2, y - res / 2, x + res / 2, y + res / 2)
        centres = geoms
    else:
        squares = geoms
        centres = shapely.centroid(geoms)
    centres_q = gpd.GeoSeries(centres, crs=crs).to_crs(quarters_crs).values
    squares_q = gpd.GeoSeries(squares, crs=crs).to_crs(quarters_crs).values
    return np.asarray(centres_q), np.asarray(squares_q)


def _share_inside_study(
    squares: np.ndarray, inside: np.ndarray, quarters: gpd.GeoDataFrame
) -> np.ndarray:
    """Area share inside the quarters of each cell whose centre is outside every quarter.

    Such cells lie wholly outside (neighbouring municipalities inside the reading bbox,
    expected) or overlap a quarter partly (residents lost at the edge); 0 for the others.
    """
    frac = np.zeros(len(squares))
    if not (~inside).any():
        return frac
    hits = np.flatnonzero(~inside)[
        np.unique(quarters.sindex.query(squares[~inside], predicate="intersects")[0])
    ]
    if len(hits):
        study = shapely.union_all(shapely.make_valid(quarters.geometry.to_numpy()))
        sq = squares[hits]
        frac[hits] = shapely.area(shapely.intersection(sq, study)) / shapely.area(sq)
    return frac


def _report_cut_cells(
    report: QualityReport,
    ids: np.ndarray,
    counts: pd.DataFrame,
    squares: np.ndarray,
    quarter_id: np.ndarray,
    quarters: gpd.GeoDataFrame,
) -> None:
    """Report cells (inside a quarter) cut by a quarter boundary, by area share outside."""
    geom_by_id = pd.Series(
        shapely.make_valid(quarters.geometry.to_numpy()), index=quarters["quarter_id"].to_numpy()
    )
    own = geom_by_id.loc[quarter_id].to_numpy()
    frac_in = shapely.area(shapely.intersection(squares, own)) / shapely.area(squares)
    cut = frac_in < 1 - 1e-6
    if cut.any():
        cut_counts = counts.loc[cut]
        moved = cut_counts.mul(1 - frac_in[cut], axis=0)
        report.add(
            "zensus_cells_cut",
            "zensus",
            Message(
                "population.zensus.cells_cut",
                n=int(cut.sum()),
                residents=residents_text(cut_counts),
                across=residents_text(moved),
            ),
            items=ids[cut],
        )


def zensus_to_origins(
    cells: gpd.GeoDataFrame,
    quarters: gpd.GeoDataFrame,
    *,
    count_columns: Mapping[str, str] | None = None,
    resolution_m: float | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Turn Zensus cells into origins at the cell centres, assigned to quarters by centre.

    Parameters
    ----------
    cells
        Output of :func:`read_zensus_grid` (centres or squares), usually after
        :func:`zensus_age_groups`.
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    count_columns
        Mapping of cell column to age group (e.g. ``{"Einwohner": "total"}``); default: the
        age-group columns already in ``cells``.
    resolution_m
        Cell size; default from ``cells.attrs`` or the ``RES100m`` part of ``cell_id``.
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        Origins (``origin_id`` = ``cell_id``) in the CRS of ``quarters``. Cells without
        residents in any selected column are skipped.

    Notes
    -----
    Each cell goes wholly to the quarter containing its centre. Reported:
    ``zensus_cells_cut`` (cells whose square is cut by a quarter boundary: how many, their
    residents and an area-weighted estimate of residents that actually live in a
    neighbouring quarter or outside), ``zensus_cells_partly_inside`` (warning: cells
    overlapping a quarter whose centre lies outside every quarter, dropped with their
    residents and an area-weighted estimate of those living inside), ``outside_quarters``
    (info: cells wholly outside every quarter, with their residents), ``boundary_ties``,
    ``missing_counts`` (NaN counts read as 0).
    """
    report, created = new_report(report)
    check_quarters(quarters)
    if cells.crs is None:
        raise InputDataError(Message("population.zensus.cells_no_crs"))
    mapping = _count_columns(cells, count_columns)
    res = _resolution(cells, resolution_m)
    ids = (
        cells["cell_id"].astype(str).to_numpy()
        if "cell_id" in cells.columns
        else ("c" + pd.Series(np.arange(len(cells))).astype(str)).to_numpy()
    )
    counts = check_counts(
        pd.DataFrame({g: cells[c].to_numpy() for c, g in mapping.items()}), where="zensus cells"
    )
    n_nan = counts.isna().any(axis=1).to_numpy()
    if n_nan.any():
        report.add(
            "missing_counts",
            "zensus",
            Message(
                "population.zensus.missing_counts",
                n=int(n_nan.sum()),
                groups=[g for g in counts.columns if counts[g].isna().any()],
            ),
            items=ids[n_nan],
        )
        counts = counts.fillna(0.0)
    has_people = (counts > 0).any(axis=1).to_numpy()
    ids, counts = ids[has_people], counts.loc[has_people].reset_index(drop=True)
    centres_q, squares_q = _centres_and_squares(
        cells.geometry.to_numpy()[has_people], cells.crs, res, quarters.crs
    )
    quarter_id, ties = assign_quarters(centres_q, quarters)
    report_ties(report, "zensus", ties, Message("population.what.cell_centres"))

    inside = pd.notna(quarter_id)
    frac_partly = _share_inside_study(squares_q, inside, quarters)
    partly = frac_partly > 1e-9  # squares merely touching a quarter are wholly outside
    if partly.any():
        lost = counts.loc[partly]
        report.add(
            "zensus_cells_partly_inside",
            "zensus",
            Message(
                "population.zensus.cells_partly_inside",
                n=int(partly.sum()),
                residents=residents_text(lost),
                inside=residents_text(lost.mul(frac_partly[partly], axis=0)),
            ),
            items=ids[partly],
        )
    wholly = ~inside & ~partly
    split_outside(
        ids[wholly],
        quarter_id[wholly],
        counts.loc[wholly],
        report=report,
        layer="zensus",
        what=Message("population.what.cells"),
        severity="info",
        hint=Message("population.zensus.outside_hint"),
    )
    _report_cut_cells(
        report,
        ids[inside],
        counts.loc[inside].reset_index(drop=True),
        squares_q[inside],
        quarter_id[inside],
        quarters,
    )
    result = origins_frame(
        ids[inside],
        quarter_id[inside],
        counts.loc[inside].reset_index(drop=True),
        centres_q[inside],
        quarters.crs,
    )
    return attach_report(result, report, created)


def zensus_to_quarters(
    cells: gpd.GeoDataFrame,
    quarters: gpd.GeoDataFrame,
    *,
    count_columns: Mapping[str, str] | None = None,
    resolution_m: float | None = None,
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Sum Zensus cells per quarter (cells assigned by centre).

    Parameters
    ----------
    cells, quarters, count_columns, resolution_m, report
        As for :func:`zensus_to_origins`, whose findings are reported too.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quarter_id`` in the order of ``quarters`` (every quarter, 0 where no
        cell), one column per age group. These are perturbed grid sums, not official
        totals (finding ``zensus_cell_key``).
    """
    report, created = new_report(report)
    origins = zensus_to_origins(
        cells, quarters, count_columns=count_columns, resolution_m=resolution_m, report=report
    )
    groups = [g for g in AGE_GROUPS if g in origins.columns]
    sums = (
        pd.DataFrame(origins[["quarter_id", *groups]])
        .groupby("quarter_id")[groups]
        .sum()
        .reindex(pd.Index(quarters["quarter_id"].to_numpy(), name="quarter_id"), fill_value=0.0)
    )
    report.add(
        "zensus_cell_key",
        "zensus",
        Message("population.zensus.cell_key_quarters", note=CELL_KEY_NOTE),
        severity="info",
    )
    return attach_report(sums, report, created)


def zensus_to_raster(
    cells: gpd.GeoDataFrame,
    path: str | Path,
    columns: Sequence[str],
    *,
    resolution_m: float | None = None,
) -> Path:
    """Write Zensus cells as a GeoTIFF in EPSG:3035, one band per column.

    Parameters
    ----------
    cells
        Zensus cells in EPSG:3035 (centres or squares).
    path
        Output GeoTIFF (written to a temporary file, then renamed).
    columns
        Columns to write; band descriptions are the column names, so age-group columns
        (after :func:`zensus_age_groups`) can be read back with
        :func:`sqe_geo.population.residents.origins_from_raster` directly.
    resolution_m
        Cell size; default from ``cells.attrs`` or ``cell_id``.

    Returns
    -------
    pathlib.Path
        The written file; cells absent from ``cells`` are 0, NaN values are written as 0.
    """
    if cells.crs is None or CRS.from_user_input(cells.crs) != CRS.from_user_input(ZENSUS_CRS):
        raise InputDataError(
            Message("population.zensus.raster_crs", crs=ZENSUS_CRS, found=str(cells.crs))
        )
    res = _resolution(cells, resolution_m)
    points = cells
    if len(cells) and shapely.get_type_id(cells.geometry.to_numpy()).max() != 0:
        points = cells.set_geometry(cells.geometry.centroid)
    return write_population_raster(path, points, resolution=res, columns=list(columns))


__all__ = ["zensus_to_origins", "zensus_to_quarters", "zensus_to_raster"]
