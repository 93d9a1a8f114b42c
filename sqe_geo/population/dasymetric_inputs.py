"""The inputs of a dasymetric allocation, checked: quarter counts, target points, weights.

:func:`sqe_geo.population.dasymetric.allocate_dasymetric` spreads quarter counts onto target
points; the functions here check its three inputs and record in the quality report what was
ignored, read as 0 or placed by location, so that the allocation itself stays arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import (
    AGE_GROUPS,
    assign_quarters,
    check_counts,
    report_ties,
    residents_text,
)
from sqe_geo.quality import QualityReport

#: The layer name of the quarter counts in messages and findings.
COUNTS_LAYER = "demographics"
#: The layer name of the target points in messages and findings.
TARGETS_LAYER = "targets"


def count_groups(quarter_counts: pd.DataFrame, report: QualityReport) -> list[str]:
    """The age-group columns of ``quarter_counts``; other columns are reported as ignored.

    Parameters
    ----------
    quarter_counts
        Demographics indexed by ``quarter_id``.
    report
        Receives the findings.

    Raises
    ------
    InputDataError
        When no column is an age group.
    """
    groups = [g for g in AGE_GROUPS if g in quarter_counts.columns]
    if not groups:
        raise InputDataError(
            Message(
                "population.dasymetric.no_age_groups",
                layer=COUNTS_LAYER,
                columns=list(quarter_counts.columns),
                groups=", ".join(AGE_GROUPS),
            )
        )
    other = [c for c in quarter_counts.columns if c not in AGE_GROUPS]
    if other:
        report.add(
            "columns_ignored",
            COUNTS_LAYER,
            Message("population.dasymetric.columns_ignored", columns=other),
            severity="info",
            items=other,
        )
    return groups


def check_quarter_counts(
    quarter_counts: pd.DataFrame, groups: Sequence[str], *, integer: bool, report: QualityReport
) -> pd.DataFrame:
    """The quarter counts as floats indexed by ``quarter_id`` text; empty counts read as 0.

    Parameters
    ----------
    quarter_counts
        Demographics indexed by ``quarter_id``.
    groups
        Its age-group columns.
    integer
        Whether whole-number counts are required.
    report
        Receives the findings.

    Raises
    ------
    InputDataError
        When a quarter appears twice, or ``integer`` is asked for and a count is a fraction.
    """
    counts = check_counts(quarter_counts[list(groups)], where=COUNTS_LAYER)
    counts.index = counts.index.astype(str)
    if counts.index.duplicated().any():
        raise InputDataError(Message("population.dasymetric.quarter_twice", layer=COUNTS_LAYER))
    if counts.isna().any().any():
        bad = counts.index[counts.isna().any(axis=1)]
        report.add(
            "missing_counts",
            COUNTS_LAYER,
            Message("population.dasymetric.missing_counts", n=len(bad)),
            items=bad,
        )
        counts = counts.fillna(0.0)
    if integer:
        frac = ~np.isclose(counts.to_numpy(), np.rint(counts.to_numpy()), rtol=0, atol=1e-9)
        if frac.any():
            bad_cols = [g for g, bad in zip(groups, frac.any(axis=0), strict=True) if bad]
            raise InputDataError(
                Message("population.dasymetric.fractions", layer=COUNTS_LAYER, columns=bad_cols)
            )
    return counts


def report_unmatched_quarters(
    counts: pd.DataFrame, quarter_ids: np.ndarray, report: QualityReport
) -> None:
    """Report counts of unknown quarters (residents lost) and quarters without counts.

    Parameters
    ----------
    counts
        Checked quarter counts (see :func:`check_quarter_counts`).
    quarter_ids
        The ids of the quarters layer.
    report
        Receives the findings.
    """
    unknown = counts.index.difference(pd.Index(quarter_ids))
    unknown = unknown[(counts.loc[unknown] > 0).any(axis=1)]
    if len(unknown):
        report.add(
            "unknown_quarters",
            COUNTS_LAYER,
            Message(
                "population.dasymetric.unknown_quarters",
                n=len(unknown),
                residents=residents_text(counts.loc[unknown]),
            ),
            items=unknown,
        )
    without = pd.Index(quarter_ids).difference(counts.index)
    if len(without):
        report.add(
            "quarters_without_counts",
            COUNTS_LAYER,
            Message("population.dasymetric.quarters_without_counts", n=len(without)),
            severity="info",
            items=without,
        )


def weights_for(
    targets: gpd.GeoDataFrame,
    groups: Sequence[str],
    weight_column: str | Mapping[str, str] | None,
) -> dict[str, np.ndarray]:
    """Return the weight array per age group (uniform = ones).

    Parameters
    ----------
    targets
        The target layer.
    groups
        The age groups to allocate.
    weight_column
        ``None`` (uniform), one column for every group, or a mapping group → column.

    Raises
    ------
    InputDataError
        When a weight column is not in ``targets`` or holds no counts.
    """
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
            Message(
                "population.dasymetric.weight_columns_missing",
                missing=missing,
                columns=list(targets.columns),
            )
        )
    checked = check_counts(targets[sorted(columns)], where="targets (weights)").fillna(0.0)
    return {
        g: (checked[c].to_numpy() if c is not None else np.ones(len(targets)))
        for g, c in mapping.items()
    }


@dataclass(frozen=True)
class PlacedTargets:
    """Target points assigned to quarters.

    Parameters
    ----------
    ids
        Target ids (``origin_id`` or ``"t<row number>"``).
    points
        The targets as points in the CRS of the quarters (polygons at a representative point).
    quarter_id
        The quarter of each target, ``None`` outside every quarter.
    """

    ids: np.ndarray
    points: np.ndarray
    quarter_id: np.ndarray

    @property
    def inside(self) -> np.ndarray:
        """Mask of the targets inside a quarter."""
        return np.asarray(pd.notna(self.quarter_id))


def target_points(targets: gpd.GeoDataFrame, crs: object, report: QualityReport) -> gpd.GeoSeries:
    """The targets as points in ``crs``: polygons (cells, buildings) at a representative point.

    Parameters
    ----------
    targets
        The target layer (points or polygons) with a CRS.
    crs
        The CRS of the quarters.
    report
        Receives the findings.

    Raises
    ------
    InputDataError
        When a target is neither a point nor a polygon.
    """
    geoms = targets.geometry.to_crs(crs)
    types = set(geoms[~(geoms.isna() | geoms.is_empty)].geom_type.unique())
    if types - {"Point", "Polygon", "MultiPolygon"}:
        raise InputDataError(Message("population.dasymetric.bad_geometry", types=sorted(types)))
    if types - {"Point"}:
        # Cells or buildings: each is represented by a point inside it.
        polygons = geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        geoms = geoms.where(~polygons, geoms.representative_point())
        report.add(
            "targets_as_points",
            TARGETS_LAYER,
            Message("population.dasymetric.targets_as_points", n=int(polygons.sum())),
            severity="info",
            count=int(polygons.sum()),
        )
    return geoms


def place_targets(
    targets: gpd.GeoDataFrame, quarters: gpd.GeoDataFrame, report: QualityReport
) -> PlacedTargets:
    """Assign the targets to quarters by location; report ties and targets outside.

    Parameters
    ----------
    targets
        The target layer (points or polygons) with a CRS.
    quarters
        Quarter polygons with ``quarter_id``.
    report
        Receives the findings.
    """
    ids = (
        targets["origin_id"].astype(str).to_numpy()
        if "origin_id" in targets.columns
        else ("t" + pd.Series(np.arange(len(targets))).astype(str)).to_numpy()
    )
    geoms = target_points(targets, quarters.crs, report)
    tq, ties = assign_quarters(geoms.values, quarters)
    report_ties(report, TARGETS_LAYER, ties, Message("population.what.targets"))
    placed = PlacedTargets(ids=ids, points=np.asarray(geoms.values), quarter_id=tq)
    outside = ~placed.inside
    if outside.any():
        report.add(
            "targets_outside_quarters",
            TARGETS_LAYER,
            Message("population.dasymetric.targets_outside", n=int(outside.sum())),
            severity="info",
            items=ids[outside],
        )
    return placed


__all__ = [
    "COUNTS_LAYER",
    "TARGETS_LAYER",
    "PlacedTargets",
    "check_quarter_counts",
    "count_groups",
    "place_targets",
    "report_unmatched_quarters",
    "target_points",
    "weights_for",
]
