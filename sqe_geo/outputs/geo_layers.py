"""The GIS layers of the exports: quarters and planning areas of one year with their values.

The GeoPackage and GeoJSON writers of :mod:`sqe_geo.outputs.export` write these layers; a
value that could not be computed travels with a ``status_{id}`` column of reason codes.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd

from sqe_geo.outputs.notes import row_note
from sqe_geo.results import Results
from sqe_geo.stats.aggregate import Level


def geo_layers(
    results: Results, year: int, indicators: Sequence[str] | None
) -> dict[str, gpd.GeoDataFrame]:
    """The GIS layers of one year: ``quartiere`` and ``planungsraeume`` with their values.

    Parameters
    ----------
    results
        Output of :func:`sqe_geo.pipeline.run`.
    year
        The year.
    indicators
        Indicator ids (all by default); a ``status_{id}`` column is added for each that has
        a not-computed, partial or approximate value.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layer name -> quarters or planning areas with ids, names, values and geometry.
    """
    ids = list(indicators) if indicators is not None else results.catalog.ids
    quarters = _with_status(results, "quarter", results.quarters_geo(year), year, ids)
    areas = _with_status(results, "planning_area", results.planning_areas_geo(year), year, ids)
    keep_q = ["unit_id", "name", "planning_area", *ids]
    keep_a = ["unit_id", "name", *ids]
    status = [c for c in quarters.columns if c.startswith("status_")]
    keep_q += [c for c in status if c[len("status_") :] in ids]
    status = [c for c in areas.columns if c.startswith("status_")]
    keep_a += [c for c in status if c[len("status_") :] in ids]
    layers = {
        "quartiere": quarters[[*keep_q, "geometry"]].copy(),
        "planungsraeume": areas[[*keep_a, "geometry"]].copy(),
    }
    note = row_note(results, "de")
    if note is not None:  # demo data or internal figures: said in every feature
        for frame in layers.values():
            frame.insert(len(frame.columns) - 1, "note", note)
    return layers


def _with_status(
    results: Results, level: Level, geo: gpd.GeoDataFrame, year: int, ids: list[str]
) -> gpd.GeoDataFrame:
    """Add a ``status_{id}`` column (reason codes) for indicators with any status."""
    status = results.status_of(level).xs(year, level="year")
    status = status[[i for i in ids if i in status.columns and (status[i] != "").any()]]
    if status.empty or not len(status.columns):
        return geo
    status = status.add_prefix("status_")
    return geo.merge(status, left_on="unit_id", right_index=True, how="left")
