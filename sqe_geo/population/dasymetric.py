"""Dasymetric allocation: quarter totals per age group onto target points inside each quarter.

Targets are grid-cell centres, address points or buildings, optionally weighted (a raster's
``total`` band, floor area). The result is an origins table (see
:mod:`sqe_geo.population.residents`) whose sums per quarter and age group equal the quarter
counts; every fallback and loss is counted in a :class:`~sqe_geo.quality.QualityReport`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.population.origins import (
    AGE_GROUPS,
    assign_quarters,
    attach_report,
    check_counts,
    check_quarters,
    new_report,
    origins_frame,
    report_ties,
    residents_text,
)
from sqe_geo.quality import QualityReport

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


__all__ = [
    "FALLBACK_SUFFIX",
    "allocate_dasymetric",
    "fallback_quarters",
    "largest_remainder",
    "reallocate_to_year",
]
