"""Walking accessibility: network distance to the nearest service per category.

Distances are network distances in metres on a :class:`~sqe_geo.access.network.WalkingNetwork`:
one multi-source Dijkstra per category. A virtual super-source is joined to both ends of
every service's snapped edge (weight = access leg + partial edge length), the search stops
at the cut-off, and every origin reads its distance from both ends of its own snapped edge
(plus its along-edge part and access leg). An origin and a service on the same edge also
get the direct path along the edge.

Unreachable origins (beyond the snap distance, on another network component, beyond the
cut-off) get NaN, never 0. The straight-line fallback is in
:mod:`sqe_geo.access.straight_line`, floating catchments in :mod:`sqe_geo.access.catchment`,
the aggregation of distances to counts per quarter in :mod:`sqe_geo.access.coverage`.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from sqe_geo._errors import InputDataError
from sqe_geo.access.graph_search import (
    augment_graph,
    distances_at_origins,
    same_edge_direct,
    snap_origins,
    source_edges,
)
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import SnapResult, points_xy, snap_points
from sqe_geo.access.walking import Origins, ServiceLayer, Walking, as_origins, service_points
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

__all__ = [
    "GROUPS",
    "METHOD_NETWORK",
    "METHOD_STRAIGHT_LINE",
    "access_leg_summary",
    "cut_off_from_services",
    "nearest_distances",
    "walking_minutes",
]

#: Method flags carried in ``attrs["method"]`` of the results.
METHOD_NETWORK = "Netzdistanz"
METHOD_STRAIGHT_LINE = "Luftlinie × Umwegfaktor"

#: Age-group columns understood by :func:`~sqe_geo.access.coverage.quarter_counts` (any
#: subset may be present).
GROUPS: tuple[str, ...] = ("total", "young", "working_age", "older", "young_old", "oldest_old")


def walking_minutes(
    distance_m: np.ndarray | pd.Series | pd.DataFrame, speed_mps: float = 0.8
) -> np.ndarray | pd.Series | pd.DataFrame:
    """Convert metres to walking minutes at ``speed_mps`` (NaN stays NaN).

    Parameters
    ----------
    distance_m
        Distances in metres.
    speed_mps
        Walking speed in metres per second (> 0).

    Returns
    -------
    numpy.ndarray or pandas.Series or pandas.DataFrame
        Minutes, of the same type as ``distance_m``.
    """
    if speed_mps <= 0:
        raise InputDataError(Message("access.nearest.speed_not_positive", speed=speed_mps))
    return distance_m / speed_mps / 60.0


def _nearest_one(
    network: WalkingNetwork,
    o_snap: SnapResult,
    o_sel: np.ndarray,
    s_snap: SnapResult,
    s_sel: np.ndarray,
    cutoff_m: float | None,
) -> np.ndarray:
    """Network distance to the nearest of the services ``s_sel`` for origins ``o_sel``."""
    nodes, weight = source_edges(network, s_snap, s_sel)
    graph = augment_graph(network.graph, [(nodes, weight)])
    source = network.n_nodes
    limit = np.inf if cutoff_m is None else float(cutoff_m)
    # scipy-stubs: indices may be a single int (scipy documents it), the stubs want an array
    dist_nodes = dijkstra(  # type: ignore[call-overload]
        graph, directed=True, indices=source, limit=limit
    )
    d = distances_at_origins(network, dist_nodes, o_snap, o_sel)
    o_pos, _, direct = same_edge_direct(o_snap, o_sel, s_snap, s_sel)
    if o_pos.size:
        np.minimum.at(d, o_pos, direct)
    d[~(np.isfinite(d) & (d <= limit))] = np.nan
    return d


def nearest_distances(
    network: WalkingNetwork,
    origins: np.ndarray | Origins,
    services: gpd.GeoDataFrame,
    categories: Sequence[str] | None = None,
    *,
    walking: Walking | None = None,
    layer: ServiceLayer | None = None,
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Network distance in metres from every origin to the nearest service per category.

    Parameters
    ----------
    network
        The walking network (metric CRS).
    origins
        ``(n, 2)`` origin coordinates in the network CRS, or :class:`Origins` with ids
        (the result's index and the items of findings) and a precomputed snap.
    services
        Service points with a category column, in the network CRS.
    categories
        Categories to compute (default: all present in ``services``). A requested category
        without services gives an all-NaN column and a report finding.
    walking
        Cut-off (farther services count as not reached) and maximum snap distance.
    layer
        Name of the service layer in messages, its category and id columns (default: the
        index; must be unique).
    report
        Receives unsnapped origins/services, empty categories and unreached origins.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows (index: the origin ids or ``0..n-1``) × one column per category, metres,
        NaN where unreachable; ``attrs["method"] == "Netzdistanz"``.
    """
    walking = walking or Walking()
    layer = layer or ServiceLayer()
    points = as_origins(origins)
    s_xy, s_cat, s_ids = service_points(services, crs=network.crs, layer=layer, report=report)
    if s_xy.shape[0] == 0:
        raise InputDataError(Message("access.services.empty", layer=layer.name))
    if categories is None:
        categories = sorted(pd.unique(s_cat).tolist(), key=str)
    index = points.index
    o_snap = snap_origins(network, points.xy, points.snap, walking.max_snap_m)
    s_snap = snap_points(network, s_xy, max_snap_m=walking.max_snap_m)
    if report is not None:
        _report_unsnapped(report, (o_snap, index), (s_snap, s_ids), walking.max_snap_m, layer.name)
    o_sel = np.flatnonzero(o_snap.snapped)
    out = np.full((points.xy.shape[0], len(categories)), np.nan)
    for k, cat in enumerate(categories):  # a handful of categories, one Dijkstra each
        s_sel = np.flatnonzero(s_snap.snapped & (s_cat == cat))
        if s_sel.size == 0:
            if report is not None:
                report.add(
                    "category_without_services",
                    layer.name,
                    Message(
                        "access.nearest.category_not_on_network",
                        category=cat,
                        layer=layer.name,
                        n=int((s_cat == cat).sum()),
                    ),
                    items=[cat],
                )
            continue
        out[o_sel, k] = _nearest_one(network, o_snap, o_sel, s_snap, s_sel, walking.cutoff_m)
    result = pd.DataFrame(out, index=index, columns=list(categories))
    result.attrs["method"] = METHOD_NETWORK
    if report is not None:
        _report_unreached(report, result, o_snap.snapped, walking.cutoff_m, layer.name)
    return result


def cut_off_from_services(
    network: WalkingNetwork,
    origin_snap: SnapResult,
    services: gpd.GeoDataFrame,
    categories: Sequence[str],
    *,
    max_snap_m: float = 300.0,
    category_column: str = "category",
) -> pd.DataFrame:
    """Which origins cannot be placed on a network that reaches the category at all.

    An origin is cut off for a category when it lies beyond the snap distance, or when it
    sits on a network component (island) that holds no snapped service of that category.
    Origins that are merely far (beyond the search cut-off) are not cut off: that is a
    finding about supply, not a gap in the data.

    Parameters
    ----------
    network
        The walking network.
    origin_snap
        Snap of the origins.
    services
        Service points with a category column, in the network CRS.
    categories
        Categories to check.
    max_snap_m
        Maximum snap distance of the services.
    category_column
        Service category column.

    Returns
    -------
    pandas.DataFrame
        ``(n_origins, len(categories))`` booleans, positional index.
    """
    s_xy = points_xy(services)
    s_cat = services[category_column].to_numpy(dtype=object)
    ok = np.isfinite(s_xy).all(axis=1)
    s_snap = snap_points(network, s_xy[ok], max_snap_m=max_snap_m)
    s_cat = s_cat[ok]
    node_component = network.component
    o_comp = np.full(len(origin_snap), -1)
    o_comp[origin_snap.snapped] = node_component[
        network.edge_u[origin_snap.edge[origin_snap.snapped]]
    ]
    s_comp = node_component[network.edge_u[s_snap.edge[s_snap.snapped]]]
    s_cat = s_cat[s_snap.snapped]
    out = {}
    for cat in categories:
        served = np.unique(s_comp[s_cat == cat])
        out[cat] = ~origin_snap.snapped | ~np.isin(o_comp, served)
    return pd.DataFrame(out, index=pd.RangeIndex(len(origin_snap)))


def access_leg_summary(origin_snap: SnapResult, *, long_m: float = 100.0) -> dict[str, float]:
    """Straight access legs from the residents' locations to the network.

    Parameters
    ----------
    origin_snap
        Snap of the residents' locations.
    long_m
        Legs longer than this are counted.

    Returns
    -------
    dict
        ``count`` (snapped origins), ``median_m``, ``max_m`` and ``over_{long_m}_m`` (legs
        longer than ``long_m``); medians of an empty set are NaN.
    """
    legs = origin_snap.access_m[origin_snap.snapped]
    long_key = f"over_{long_m:g}_m"
    if legs.size == 0:
        return {"count": 0, "median_m": np.nan, "max_m": np.nan, long_key: 0}
    return {
        "count": int(legs.size),
        "median_m": float(np.median(legs)),
        "max_m": float(legs.max()),
        long_key: int((legs > long_m).sum()),
    }


def _report_unsnapped(
    report: QualityReport,
    origins: tuple[SnapResult, pd.Index],
    services: tuple[SnapResult, np.ndarray],
    max_snap_m: float,
    layer: str,
) -> None:
    (o_snap, o_index), (s_snap, s_ids) = origins, services
    if (~o_snap.snapped).any():
        report.add(
            "origin_not_on_network",
            "origins",
            Message(
                "access.nearest.origins_not_on_network",
                n=int((~o_snap.snapped).sum()),
                max_snap=f"{max_snap_m:g}",
            ),
            items=o_index[~o_snap.snapped],
        )
    if (~s_snap.snapped).any():
        report.add(
            "service_not_on_network",
            layer,
            Message(
                "access.nearest.services_not_on_network",
                n=int((~s_snap.snapped).sum()),
                layer=layer,
                max_snap=f"{max_snap_m:g}",
            ),
            items=s_ids[~s_snap.snapped],
        )


def _report_unreached(
    report: QualityReport,
    result: pd.DataFrame,
    snapped: np.ndarray,
    cutoff_m: float | None,
    layer: str,
) -> None:
    unreached = result.isna().to_numpy() & snapped[:, None]
    counts = unreached.sum(axis=0)
    if counts.any():
        items = [f"{c}: {n}" for c, n in zip(result.columns, counts, strict=True) if n]
        if cutoff_m is None:
            limit = Message("access.nearest.within_cutoff")
        else:
            limit = Message("access.nearest.within_m", cutoff=f"{cutoff_m:g}")
        report.add(
            "origin_unreached",
            layer,
            Message("access.nearest.unreached", limit=limit),
            severity="info",
            items=items,
            count=int(counts.sum()),
        )
