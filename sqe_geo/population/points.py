"""Where residents live, from a point layer with counts (address points, buildings).

The result is an origins table (see :mod:`sqe_geo.population.residents`); every point that is
dropped or unassigned is counted in a :class:`~sqe_geo.quality.QualityReport`.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import (
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
        raise InputDataError(Message("population.points.no_crs", layer=layer))
    missing = [c for c in count_columns if c not in points.columns]
    if missing:
        raise InputDataError(
            Message(
                "population.points.count_columns_missing",
                layer=layer,
                missing=missing,
                columns=list(points.columns),
            )
        )
    for column, group in count_columns.items():
        check_group(group, where=f"count_columns[{column!r}]")
    groups = list(count_columns.values())
    if len(set(groups)) != len(groups):
        raise InputDataError(Message("population.points.group_twice", layer=layer))
    if id_column is not None and id_column not in points.columns:
        raise InputDataError(
            Message("population.points.id_column_missing", layer=layer, column=id_column)
        )
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
            Message(
                "population.points.missing_counts",
                n=int((n_missing > 0).sum()),
                values=int(n_missing.sum()),
            ),
            items=ids[n_missing > 0],
        )
        counts = counts.fillna(0.0)
    geoms = points.geometry.reset_index(drop=True)
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    types = set(geoms[~empty].geom_type.unique())
    if types - {"Point"}:
        raise InputDataError(
            Message("population.points.not_points", layer=layer, types=sorted(types))
        )
    if empty.any():
        report.add(
            "missing_geometry",
            layer,
            Message(
                "population.points.missing_geometry",
                n=int(empty.sum()),
                residents=residents_text(counts.loc[empty]),
            ),
            items=ids[empty],
        )
    keep = ~empty
    ids, counts = ids[keep], counts.loc[keep].reset_index(drop=True)
    geoms = gpd.GeoSeries(geoms[keep].values, crs=points.crs).to_crs(quarters.crs)
    quarter_id, ties = assign_quarters(geoms.values, quarters)
    report_ties(report, layer, ties, Message("population.what.points"))
    has_people = (counts > 0).any(axis=1).to_numpy()
    inside = pd.notna(quarter_id)
    split_outside(
        ids[has_people],
        quarter_id[has_people],
        counts.loc[has_people],
        report=report,
        layer=layer,
        what=Message("population.what.points"),
    )
    if (~inside & ~has_people).any():
        report.add(
            "outside_quarters_empty",
            layer,
            Message("population.points.outside_empty", n=int((~inside & ~has_people).sum())),
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


__all__ = ["origins_from_points"]
