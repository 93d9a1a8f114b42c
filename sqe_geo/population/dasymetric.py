"""Dasymetric allocation: quarter totals per age group onto target points inside each quarter.

Targets are grid-cell centres, address points or buildings, optionally weighted (a raster's
``total`` band, floor area). The result is an origins table (see
:mod:`sqe_geo.population.residents`) whose sums per quarter and age group equal the quarter
counts; every fallback and loss is counted in a :class:`~sqe_geo.quality.QualityReport`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.dasymetric_inputs import (
    TARGETS_LAYER,
    check_quarter_counts,
    count_groups,
    place_targets,
    report_unmatched_quarters,
    weights_for,
)
from sqe_geo.population.origins import (
    AGE_GROUPS,
    attach_report,
    check_quarters,
    new_report,
    origins_frame,
    residents_text,
)
from sqe_geo.quality import QualityReport

#: End of the origin id of a quarter's single fallback origin (no target inside it).
FALLBACK_SUFFIX = "_fallback"


def fallback_quarters(origins: pd.DataFrame) -> list[Hashable]:
    """Quarters whose residents sit on one fallback origin (they could not be located).

    Parameters
    ----------
    origins
        Origins from :func:`allocate_dasymetric`.
    """
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
    groups = count_groups(quarter_counts, report)
    if targets.crs is None:
        raise InputDataError(Message("population.dasymetric.targets_no_crs"))
    counts = check_quarter_counts(quarter_counts, groups, integer=integer, report=report)
    quarter_ids = quarters["quarter_id"].to_numpy().astype(object)
    report_unmatched_quarters(counts, quarter_ids, report)
    n_by_q = counts.reindex(pd.Index(quarter_ids)).fillna(0.0)

    weights = weights_for(targets, groups, weight_column)
    placed = place_targets(targets, quarters, report)
    inside = placed.inside
    code_of = {q: i for i, q in enumerate(quarter_ids)}
    codes = pd.Series(placed.quarter_id[inside]).map(code_of).to_numpy(dtype=np.int64)
    shares = _Shares(codes, np.bincount(codes, minlength=len(quarter_ids)), quarter_ids)
    allocated = {
        group: shares.allocate(weights[group][inside], n_by_q[group].to_numpy(), integer=integer)
        for group in groups  # at most six groups; the work per group is vectorised
    }
    if shares.zero_weight_quarters:
        report.add(
            "zero_weights",
            TARGETS_LAYER,
            Message("population.dasymetric.zero_weights", n=len(shares.zero_weight_quarters)),
            items=sorted(shares.zero_weight_quarters),
        )
    result = origins_frame(
        placed.ids[inside],
        placed.quarter_id[inside],
        pd.DataFrame(allocated),
        placed.points[inside],
        quarters.crs,
    )
    fallback = _fallback_origins(quarters, n_by_q, shares.n_targets == 0, integer, report)
    if fallback is not None:
        result = pd.concat([result, fallback], ignore_index=True)
    return attach_report(result, report, created)


class _Shares:
    """Splits quarter totals onto the targets of each quarter by their weights."""

    def __init__(self, codes: np.ndarray, n_targets: np.ndarray, quarter_ids: np.ndarray):
        self.codes = codes
        self.n_targets = n_targets
        self.quarter_ids = quarter_ids
        self.zero_weight_quarters: set[str] = set()

    def allocate(self, w: np.ndarray, totals: np.ndarray, *, integer: bool) -> np.ndarray:
        """Counts per target for one age group; all-zero weights in a quarter split uniformly."""
        codes, n_q = self.codes, len(self.quarter_ids)
        w_sum = np.bincount(codes, weights=w, minlength=n_q)
        zero = (w_sum <= 0) & (self.n_targets > 0) & (totals > 0)
        if zero.any():
            self.zero_weight_quarters.update(self.quarter_ids[zero])
            w = np.where(zero[codes], 1.0, w)
            w_sum = np.bincount(codes, weights=w, minlength=n_q)
        share = np.divide(w, w_sum[codes], out=np.zeros_like(w), where=w_sum[codes] > 0)
        if integer:
            return largest_remainder(codes, share, np.rint(totals).astype(np.int64))
        result: np.ndarray = share * totals[codes]
        return result


def _fallback_origins(
    quarters: gpd.GeoDataFrame,
    n_by_q: pd.DataFrame,
    no_targets: np.ndarray,
    integer: bool,
    report: QualityReport,
) -> gpd.GeoDataFrame | None:
    """One origin at a representative point of each quarter with residents but no target."""
    needs = no_targets & (n_by_q.to_numpy() > 0).any(axis=1)
    if not needs.any():
        return None
    lonely = quarters.loc[needs]
    fallback_counts = n_by_q.loc[quarters["quarter_id"].to_numpy()[needs]].reset_index(drop=True)
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
        TARGETS_LAYER,
        Message(
            "population.dasymetric.no_targets",
            n=int(needs.sum()),
            residents=residents_text(fallback_counts),
        ),
        items=lonely["quarter_id"],
    )
    return fallback


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
            Message(
                "population.dasymetric.base_weight_missing",
                column=weight_column,
                columns=list(base_origins.columns),
            )
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
