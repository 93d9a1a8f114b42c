"""Where residents live: origins (resident locations with counts per age group).

An *origins* table is a :class:`geopandas.GeoDataFrame` of points in the analysis CRS with the
columns ``origin_id`` (str), ``quarter_id`` (str) and one resident-count column per age group
present, from the fixed vocabulary :data:`AGE_GROUPS`. This module builds origins from a
population raster, from a point layer with counts, or by dasymetric allocation of quarter
totals onto target points (grid cells, address points, buildings); it also writes origins to
a GeoTIFF so that a raster built here can be read back with :func:`origins_from_raster`.

Every record that is dropped, cut, unassigned or placed by a fallback is counted in a
:class:`~sqe_geo.quality.QualityReport`. Without a report argument, a new report is created
and attached to the result as ``result.attrs["quality_report"]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine

from sqe_geo._errors import InputDataError
from sqe_geo.population.origins import (
    AGE_GROUPS,
    REPORT_ATTR,
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
from sqe_geo.quality import QualityReport

# --------------------------------------------------------------------------------------------
# origins from a raster
# --------------------------------------------------------------------------------------------


def _band_groups(
    path: Path,
    descriptions: Sequence[str | None],
    band_groups: Mapping[int, str] | Mapping[str, str] | None,
) -> dict[int, str]:
    """Map 1-based band indexes to age groups."""
    if band_groups is None:
        mapping = {}
        for i, name in enumerate(descriptions, start=1):
            if not name:
                raise InputDataError(
                    f"{path}: band {i} has no description; name the bands after the age groups "
                    f"({', '.join(AGE_GROUPS)}) or pass band_groups={{{i}: 'total', ...}}."
                )
            check_group(name, where=f"{path}: band {i} description")
            mapping[i] = name
    else:
        mapping = {}
        for key, group in band_groups.items():
            check_group(group, where=f"band_groups[{key!r}]")
            if isinstance(key, str):
                if key not in descriptions:
                    raise InputDataError(
                        f"{path}: no band is described as '{key}' (descriptions: "
                        f"{list(descriptions)}); fix band_groups."
                    )
                index = list(descriptions).index(key) + 1
            else:
                index = int(key)
                if not 1 <= index <= len(descriptions):
                    raise InputDataError(
                        f"{path}: band {index} does not exist (the file has "
                        f"{len(descriptions)} bands; bands count from 1); fix band_groups."
                    )
            mapping[index] = group
    groups = list(mapping.values())
    dup = {g for g in groups if groups.count(g) > 1}
    if dup:
        raise InputDataError(
            f"{path}: several bands map to the age group(s) {sorted(dup)}; map each group once."
        )
    return mapping


def origins_from_raster(
    path: str | Path,
    quarters: gpd.GeoDataFrame,
    *,
    band_groups: Mapping[int, str] | Mapping[str, str] | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Read a population GeoTIFF (one band per age group) as origins at cell centres.

    Parameters
    ----------
    path
        GeoTIFF readable by rasterio, with a CRS. Nodata and NaN cells count as 0 residents.
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    band_groups
        Mapping of band index (1-based, int) or band description (str) to an age group.
        Without it, every band's description must be an age-group name (as written by
        :func:`write_population_raster`). Bands left out of the mapping are ignored.
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        Origins (``origin_id`` = ``"r<row>c<col>"``, ``quarter_id``, one float column per
        age group, point geometry) in the CRS of ``quarters``.

    Notes
    -----
    Cells whose values are all zero or nodata are skipped (no residents, no loss). Each
    cell is assigned to the quarter containing its centre; a cell straddling a boundary
    goes wholly to one quarter. Reported: ``outside_quarters`` (cells with residents whose
    centre is outside every quarter, with the residents lost per group), ``boundary_ties``
    and ``bands_ignored`` (info).
    """
    report, created = new_report(report)
    check_quarters(quarters)
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: population raster not found; check the path.")
    try:
        src_ctx = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputDataError(f"{path}: cannot be read as a raster ({exc}).") from exc
    with src_ctx as src:
        if src.crs is None:
            raise InputDataError(
                f"{path}: the raster has no CRS; write it with a CRS (e.g. EPSG:3035 for "
                "Zensus grids)."
            )
        mapping = _band_groups(path, src.descriptions, band_groups)
        ignored = sorted(set(range(1, src.count + 1)) - set(mapping))
        bands = sorted(mapping)
        data = src.read(bands, masked=True).astype("float64").filled(0.0)
        transform, raster_crs = src.transform, src.crs
    if ignored:
        report.add(
            "bands_ignored",
            "population_raster",
            f"{path.name}: bands {ignored} are not mapped to an age group and were not read.",
            severity="info",
            items=ignored,
        )
    data = np.nan_to_num(data, nan=0.0)
    if (data < 0).any():
        raise InputDataError(
            f"{path}: the raster holds negative counts; set the file's nodata value or "
            "clean the bands."
        )
    rows, cols = np.nonzero((data > 0).any(axis=0))
    # Explicit affine arithmetic: `Affine * coords` is deprecated in affine 3.
    cc, rr = cols + 0.5, rows + 0.5
    xs = transform.a * cc + transform.b * rr + transform.c
    ys = transform.d * cc + transform.e * rr + transform.f
    counts = pd.DataFrame({mapping[b]: data[i, rows, cols] for i, b in enumerate(bands)})
    ids = ("r" + pd.Series(rows).astype(str) + "c" + pd.Series(cols).astype(str)).to_numpy()
    centres = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=raster_crs).to_crs(quarters.crs)
    quarter_id, ties = assign_quarters(centres.values, quarters)
    report_ties(report, "population_raster", ties, "cell centres")
    inside = split_outside(
        ids, quarter_id, counts, report=report, layer="population_raster", what="cells"
    )
    result = origins_frame(
        ids[inside],
        quarter_id[inside],
        counts.loc[inside].reset_index(drop=True),
        centres.values[inside],
        quarters.crs,
    )
    return attach_report(result, report, created)


# --------------------------------------------------------------------------------------------
# origins from points
# --------------------------------------------------------------------------------------------


def origins_from_points(
    points: gpd.GeoDataFrame,
    quarters: gpd.GeoDataFrame,
    *,
    count_columns: Mapping[str, str],
    id_column: str | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Turn a point layer with resident counts into origins.

    Parameters
    ----------
    points
        Point layer with a CRS (any; it is reprojected to the CRS of ``quarters``).
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    count_columns
        Mapping of the layer's count column to an age group, e.g.
        ``{"EW_gesamt": "total", "EW_65plus": "older"}``.
    id_column
        Column holding the point ids; default ``"pt<row number>"``.
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        Origins in the CRS of ``quarters``; points without residents are kept.

    Notes
    -----
    Reported: ``missing_counts`` (empty count values, read as 0), ``missing_geometry`` and
    ``outside_quarters`` (points dropped, with the residents lost), ``boundary_ties``.
    Non-point geometries raise :class:`~sqe_geo._errors.InputDataError`.
    """
    report, created = new_report(report)
    check_quarters(quarters)
    layer = "population_points"
    if points.crs is None:
        raise InputDataError(
            f"{layer}: the point layer has no CRS; set it (e.g. points.set_crs('EPSG:4326'))."
        )
    missing = [c for c in count_columns if c not in points.columns]
    if missing:
        raise InputDataError(
            f"{layer}: count column(s) {missing} not found (columns: {list(points.columns)}); "
            "fix count_columns."
        )
    for column, group in count_columns.items():
        check_group(group, where=f"count_columns[{column!r}]")
    groups = list(count_columns.values())
    if len(set(groups)) != len(groups):
        raise InputDataError(f"{layer}: count_columns maps two columns to the same age group.")
    if id_column is not None and id_column not in points.columns:
        raise InputDataError(f"{layer}: id column '{id_column}' not found; fix id_column.")
    ids = (
        points[id_column].astype(str).to_numpy()
        if id_column is not None
        else ("pt" + pd.Series(np.arange(len(points))).astype(str)).to_numpy()
    )
    counts = check_counts(points[list(count_columns)].reset_index(drop=True), where=layer).rename(
        columns=dict(count_columns)
    )
    n_missing = counts.isna().to_numpy().sum(axis=1)
    if n_missing.any():
        report.add(
            "missing_counts",
            layer,
            f"{int((n_missing > 0).sum())} points have empty count values "
            f"({int(n_missing.sum())} values), read as 0 residents.",
            items=ids[n_missing > 0],
        )
        counts = counts.fillna(0.0)
    geoms = points.geometry.reset_index(drop=True)
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    types = set(geoms[~empty].geom_type.unique())
    if types - {"Point"}:
        raise InputDataError(
            f"{layer}: geometries must be points (found {sorted(types)}); use centroids or "
            "representative points of buildings."
        )
    if empty.any():
        report.add(
            "missing_geometry",
            layer,
            f"{int(empty.sum())} points have no geometry and were dropped; residents lost: "
            f"{residents_text(counts.loc[empty])}.",
            items=ids[empty],
        )
    keep = ~empty
    ids, counts = ids[keep], counts.loc[keep].reset_index(drop=True)
    geoms = gpd.GeoSeries(geoms[keep].values, crs=points.crs).to_crs(quarters.crs)
    quarter_id, ties = assign_quarters(geoms.values, quarters)
    report_ties(report, layer, ties, "points")
    has_people = (counts > 0).any(axis=1).to_numpy()
    inside = pd.notna(quarter_id)
    split_outside(
        ids[has_people],
        quarter_id[has_people],
        counts.loc[has_people],
        report=report,
        layer=layer,
        what="points",
    )
    if (~inside & ~has_people).any():
        report.add(
            "outside_quarters_empty",
            layer,
            f"{int((~inside & ~has_people).sum())} points without residents lie outside every "
            "quarter and were dropped (no residents lost).",
            severity="info",
            items=ids[~inside & ~has_people],
        )
    result = origins_frame(
        ids[inside],
        quarter_id[inside],
        counts.loc[inside].reset_index(drop=True),
        geoms.values[inside],
        quarters.crs,
    )
    return attach_report(result, report, created)


# --------------------------------------------------------------------------------------------
# dasymetric allocation
# --------------------------------------------------------------------------------------------


#: End of the origin id of a quarter's single fallback origin (no target inside it).
FALLBACK_SUFFIX = "_fallback"


def fallback_quarters(origins: pd.DataFrame) -> list[Hashable]:
    """Quarters whose residents sit on one fallback origin (they could not be located)."""
    ids = origins["origin_id"].astype(str)
    return sorted(set(origins.loc[ids.str.endswith(FALLBACK_SUFFIX).to_numpy(), "quarter_id"]))


def largest_remainder(codes: np.ndarray, share: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Split integer totals per group onto members by shares, preserving each total exactly.

    Parameters
    ----------
    codes
        Group code (0..n_groups-1) of each member.
    share
        Share of each member within its group (≥ 0; the shares of a group sum to 1).
    totals
        Integer total per group code.

    Returns
    -------
    numpy.ndarray
        int64 allocation per member: the floor of ``share * total`` plus one for the members
        with the largest remainders (ties: earlier member first) until the total is reached.
    """
    codes = np.asarray(codes, dtype=np.int64)
    totals = np.asarray(totals, dtype=np.int64)
    quota = np.asarray(share, dtype="float64") * totals[codes]
    base = np.floor(quota)
    remainder = quota - base
    base_sum = np.bincount(codes, weights=base, minlength=len(totals))
    deficit = np.clip(totals - np.rint(base_sum).astype(np.int64), 0, None)
    order = np.lexsort((np.arange(len(codes)), -remainder, codes))
    sorted_codes = codes[order]
    rank = np.arange(len(codes)) - np.searchsorted(sorted_codes, sorted_codes, side="left")
    extra = np.zeros(len(codes), dtype=np.int64)
    extra[order] = rank < deficit[sorted_codes]
    result: np.ndarray = base.astype(np.int64) + extra
    return result


def _weights_for(
    targets: gpd.GeoDataFrame,
    groups: Sequence[str],
    weight_column: str | Mapping[str, str] | None,
) -> dict[str, np.ndarray]:
    """Return the weight array per age group (uniform = ones)."""
    if weight_column is None:
        return {g: np.ones(len(targets)) for g in groups}
    mapping = (
        dict.fromkeys(groups, weight_column)
        if isinstance(weight_column, str)
        else {g: weight_column.get(g) for g in groups}
    )
    columns = {c for c in mapping.values() if c is not None}
    missing = sorted(c for c in columns if c not in targets.columns)
    if missing:
        raise InputDataError(
            f"targets: weight column(s) {missing} not found (columns: {list(targets.columns)}); "
            "fix weight_column."
        )
    checked = check_counts(targets[sorted(columns)], where="targets (weights)").fillna(0.0)
    return {
        g: (checked[c].to_numpy() if c is not None else np.ones(len(targets)))
        for g, c in mapping.items()
    }


def allocate_dasymetric(
    quarter_counts: pd.DataFrame,
    quarters: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    weight_column: str | Mapping[str, str] | None = None,
    integer: bool = False,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Allocate each quarter's age-group counts onto the target points inside it.

    Parameters
    ----------
    quarter_counts
        Demographics for one year, indexed by ``quarter_id`` (str), with age-group columns
        from :data:`AGE_GROUPS`; other columns are ignored (reported as info).
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    targets
        Points (grid-cell centres, address points, building centroids) or polygons (cells,
        buildings: placed at a representative point) with a CRS; they are assigned to
        quarters by location. An ``origin_id`` column is kept as the id,
        otherwise ids are ``"t<row number>"``.
    weight_column
        ``None`` for a uniform split; a column name of ``targets`` (density, e.g. a raster's
        ``total`` band or building floor area) used for every group; or a mapping
        age group → column (groups left out are split uniformly).
    integer
        Return integer counts by largest-remainder rounding; requires integral quarter
        counts and preserves them exactly.
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        Origins in the CRS of ``quarters``: one row per target inside a quarter, plus one
        fallback origin per quarter that has residents but no target.

    Notes
    -----
    Per quarter and age group the allocated counts sum to the quarter count (exactly in
    ``integer`` mode; up to float rounding otherwise). Reported: ``no_targets`` (quarters
    with residents but no target: one origin at the quarter's representative point),
    ``zero_weights`` (quarters whose targets all weigh 0 for a group with residents: uniform
    split instead), ``unknown_quarters`` (counts for a ``quarter_id`` missing from the
    quarters layer: residents lost), ``missing_counts`` (empty quarter counts read as 0),
    ``quarters_without_counts``, ``targets_outside_quarters`` and ``targets_as_points``
    (info).
    """
    report, created = new_report(report)
    check_quarters(quarters)
    layer = "demographics"
    groups = [g for g in AGE_GROUPS if g in quarter_counts.columns]
    if not groups:
        raise InputDataError(
            f"{layer}: no age-group column found (columns: {list(quarter_counts.columns)}); "
            f"name the count columns {', '.join(AGE_GROUPS)}."
        )
    other = [c for c in quarter_counts.columns if c not in AGE_GROUPS]
    if other:
        report.add(
            "columns_ignored",
            layer,
            f"columns {other} are not age groups and were not allocated.",
            severity="info",
            items=other,
        )
    if targets.crs is None:
        raise InputDataError("targets: the layer has no CRS; set it before allocating.")
    counts = check_counts(quarter_counts[groups], where=layer)
    counts.index = counts.index.astype(str)
    if counts.index.duplicated().any():
        raise InputDataError(
            f"{layer}: quarter_id appears more than once in the index; one row per quarter."
        )
    if counts.isna().any().any():
        bad = counts.index[counts.isna().any(axis=1)]
        report.add(
            "missing_counts",
            layer,
            f"{len(bad)} quarters have empty age-group counts, read as 0 residents.",
            items=bad,
        )
        counts = counts.fillna(0.0)
    if integer:
        frac = ~np.isclose(counts.to_numpy(), np.rint(counts.to_numpy()), rtol=0, atol=1e-9)
        if frac.any():
            bad_cols = [g for g, bad in zip(groups, frac.any(axis=0), strict=True) if bad]
            raise InputDataError(
                f"{layer}: integer allocation needs whole-number counts, but {bad_cols} hold "
                "fractions; round the demographics or use integer=False."
            )
    quarter_ids = quarters["quarter_id"].to_numpy().astype(object)
    unknown = counts.index.difference(pd.Index(quarter_ids))
    unknown = unknown[(counts.loc[unknown] > 0).any(axis=1)]
    if len(unknown):
        report.add(
            "unknown_quarters",
            layer,
            f"{len(unknown)} quarter ids of the demographics are not in the quarters layer; "
            f"their residents were not allocated: {residents_text(counts.loc[unknown])}. "
            "Match the ids of both layers.",
            items=unknown,
        )
    without = pd.Index(quarter_ids).difference(counts.index)
    if len(without):
        report.add(
            "quarters_without_counts",
            layer,
            f"{len(without)} quarters have no row in the demographics; their targets get 0.",
            severity="info",
            items=without,
        )
    n_q = len(quarter_ids)
    n_by_q = counts.reindex(pd.Index(quarter_ids)).fillna(0.0)

    # Targets → quarters.
    target_ids = (
        targets["origin_id"].astype(str).to_numpy()
        if "origin_id" in targets.columns
        else ("t" + pd.Series(np.arange(len(targets))).astype(str)).to_numpy()
    )
    weights_all = _weights_for(targets, groups, weight_column)
    geoms = targets.geometry.to_crs(quarters.crs)
    types = set(geoms[~(geoms.isna() | geoms.is_empty)].geom_type.unique())
    if types - {"Point", "Polygon", "MultiPolygon"}:
        raise InputDataError(
            f"targets: geometries must be points or polygons (found {sorted(types)}); use "
            "centroids or representative points."
        )
    if types - {"Point"}:
        # Cells or buildings: each is represented by a point inside it.
        polygons = geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        geoms = geoms.where(~polygons, geoms.representative_point())
        report.add(
            "targets_as_points",
            "targets",
            f"{int(polygons.sum())} polygon targets (cells, buildings) were placed at a "
            "representative point inside each and assigned to quarters by that point.",
            severity="info",
            count=int(polygons.sum()),
        )
    tq, ties = assign_quarters(geoms.values, quarters)
    report_ties(report, "targets", ties, "targets")
    inside = pd.notna(tq)
    if (~inside).any():
        report.add(
            "targets_outside_quarters",
            "targets",
            f"{int((~inside).sum())} targets lie outside every quarter and receive no residents.",
            severity="info",
            items=target_ids[~inside],
        )
    code_of = {q: i for i, q in enumerate(quarter_ids)}
    codes = pd.Series(tq[inside]).map(code_of).to_numpy(dtype=np.int64)
    n_targets = np.bincount(codes, minlength=n_q)

    allocated: dict[str, np.ndarray] = {}
    zero_weight_quarters: set[str] = set()
    for group in groups:  # at most six groups; the work per group is vectorised
        w = weights_all[group][inside]
        totals = n_by_q[group].to_numpy()
        w_sum = np.bincount(codes, weights=w, minlength=n_q)
        zero = (w_sum <= 0) & (n_targets > 0) & (totals > 0)
        if zero.any():
            zero_weight_quarters.update(quarter_ids[zero])
            w = np.where(zero[codes], 1.0, w)
            w_sum = np.bincount(codes, weights=w, minlength=n_q)
        share = np.divide(w, w_sum[codes], out=np.zeros_like(w), where=w_sum[codes] > 0)
        if integer:
            allocated[group] = largest_remainder(codes, share, np.rint(totals).astype(np.int64))
        else:
            allocated[group] = share * totals[codes]
    if zero_weight_quarters:
        report.add(
            "zero_weights",
            "targets",
            f"{len(zero_weight_quarters)} quarters have residents but all their targets weigh "
            "0 for at least one age group; those groups were split uniformly over the targets.",
            items=sorted(zero_weight_quarters),
        )
    result = origins_frame(
        target_ids[inside],
        tq[inside],
        pd.DataFrame(allocated),
        geoms.values[inside],
        quarters.crs,
    )

    # Quarters with residents but no target: one origin at a representative point.
    needs = (n_targets == 0) & (n_by_q.to_numpy() > 0).any(axis=1)
    if needs.any():
        lonely = quarters.loc[needs]
        fallback_counts = n_by_q.loc[quarter_ids[needs]].reset_index(drop=True)
        if integer:
            fallback_counts = fallback_counts.round().astype(np.int64)
        fallback = origins_frame(
            ("q" + lonely["quarter_id"].astype(str) + FALLBACK_SUFFIX).to_numpy(),
            lonely["quarter_id"].to_numpy(),
            fallback_counts,
            lonely.geometry.representative_point().values,
            quarters.crs,
        )
        report.add(
            "no_targets",
            "targets",
            f"{int(needs.sum())} quarters have residents but no target point inside; each got "
            "one origin at the quarter's representative point holding all its residents "
            f"({residents_text(fallback_counts)}).",
            items=lonely["quarter_id"],
        )
        result = pd.concat([result, fallback], ignore_index=True)
    return attach_report(result, report, created)


def reallocate_to_year(
    quarter_counts: pd.DataFrame,
    quarters: gpd.GeoDataFrame,
    base_origins: gpd.GeoDataFrame,
    *,
    weight_column: str = "total",
    by_group: bool = False,
    integer: bool = False,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Allocate another year's quarter counts onto the origins of a base raster or grid.

    Parameters
    ----------
    quarter_counts
        Demographics of the target year, indexed by ``quarter_id`` (see
        :func:`allocate_dasymetric`).
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    base_origins
        Origins of the base year (e.g. from :func:`origins_from_raster` or
        :func:`sqe_geo.population.zensus.zensus_to_origins`); their counts are the weights.
    weight_column
        Base column used as weight for every age group (default ``"total"``).
    by_group
        Weight each age group by the same group of the base year where present (older
        residents distributed like the base year's older residents), else by
        ``weight_column``.
    integer
        Largest-remainder integer counts (see :func:`allocate_dasymetric`).
    report
        Receives the findings of :func:`allocate_dasymetric`.

    Returns
    -------
    geopandas.GeoDataFrame
        Origins at the base locations whose sums per quarter and age group equal the target
        year's counts. Base locations keep their ``origin_id``, so years can be compared.
    """
    if weight_column not in base_origins.columns:
        raise InputDataError(
            f"base_origins: weight column '{weight_column}' not found (columns: "
            f"{list(base_origins.columns)}); pass weight_column."
        )
    weights: str | dict[str, str] = weight_column
    if by_group:
        weights = {
            g: (g if g in base_origins.columns else weight_column)
            for g in AGE_GROUPS
            if g in quarter_counts.columns
        }
    return allocate_dasymetric(
        quarter_counts,
        quarters,
        base_origins,
        weight_column=weights,
        integer=integer,
        report=report,
    )


# --------------------------------------------------------------------------------------------
# writing a population raster
# --------------------------------------------------------------------------------------------


def write_population_raster(
    path: str | Path,
    origins: gpd.GeoDataFrame,
    *,
    resolution: float,
    columns: Sequence[str] | None = None,
    crs: Any = None,
    dtype: str = "float64",
) -> Path:
    """Sum point counts into grid cells and write them as a GeoTIFF, one band per column.

    Parameters
    ----------
    path
        Output GeoTIFF; written to a temporary file first and then renamed.
    origins
        Points with count columns and a CRS (origins, Zensus cell centres, ...).
    resolution
        Cell size in CRS units (metres). The grid is aligned to multiples of the resolution,
        so Zensus centres (``…50``) fall in their own 100 m cells.
    columns
        Count columns to write; default: the age-group columns present.
    crs
        Grid CRS; default the CRS of ``origins`` (points are reprojected otherwise).
    dtype
        Band data type; ``float64`` keeps fractional counts exact.

    Returns
    -------
    pathlib.Path
        The written file. Band descriptions are the column names, so
        :func:`origins_from_raster` reads the file without a ``band_groups`` mapping when the
        columns are age groups. Cells without points are 0 (no nodata value is set).
    """
    path = Path(path)
    if origins.crs is None:
        raise InputDataError("origins: the layer has no CRS; set it before writing a raster.")
    if columns is None:
        columns = [g for g in AGE_GROUPS if g in origins.columns]
    missing = [c for c in columns if c not in origins.columns]
    if not columns or missing:
        raise InputDataError(
            f"write_population_raster: columns {missing or '(none)'} not found in the layer "
            f"(columns: {list(origins.columns)}); pass columns=."
        )
    if resolution <= 0:
        raise InputDataError("write_population_raster: resolution must be > 0.")
    points = origins.geometry if crs is None else origins.geometry.to_crs(crs)
    if len(points) == 0:
        raise InputDataError("write_population_raster: the layer has no points to write.")
    if set(points.geom_type.unique()) - {"Point"}:
        points = points.centroid
    x, y = points.x.to_numpy(), points.y.to_numpy()
    values = check_counts(origins[list(columns)], where="write_population_raster").fillna(0.0)
    x0 = np.floor(x.min() / resolution) * resolution
    y_top = (np.floor(y.max() / resolution) + 1) * resolution
    col = np.floor((x - x0) / resolution).astype(np.int64)
    row = np.floor((y_top - y) / resolution).astype(np.int64)
    width, height = int(col.max()) + 1, int(row.max()) + 1
    flat = row * width + col
    stack = np.stack(
        [np.bincount(flat, weights=values[c].to_numpy(), minlength=width * height) for c in columns]
    ).reshape(len(columns), height, width)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": len(columns),
        "dtype": dtype,
        "crs": points.crs,
        "transform": Affine(resolution, 0.0, x0, 0.0, -resolution, y_top),
        "compress": "deflate",
    }
    tmp = path.with_name(path.name + ".part")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(stack.astype(dtype))
        dst.descriptions = tuple(str(c) for c in columns)
    tmp.replace(path)
    return path


__all__ = [
    "AGE_GROUPS",
    "REPORT_ATTR",
    "allocate_dasymetric",
    "largest_remainder",
    "origins_from_points",
    "origins_from_raster",
    "reallocate_to_year",
    "write_population_raster",
]
