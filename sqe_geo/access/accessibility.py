"""Walking accessibility: nearest-service distances, floating catchments, quarter counts.

Distances are network distances in metres on a :class:`~sqe_geo.access.network.WalkingNetwork`:

* **Nearest service** — one multi-source Dijkstra per category. A virtual super-source is
  joined to both ends of every service's snapped edge (weight = access leg + partial edge
  length), the search stops at the cut-off, and every origin reads its distance from both
  ends of its own snapped edge (plus its along-edge part and access leg). An origin and a
  service on the same edge also get the direct path along the edge.
* **Floating catchments** (2SFCA, E2SFCA) — many-to-many distances limited to the
  catchment, one Dijkstra per service in batches (capacity services are few).
* **Straight-line fallback** — without a network, euclidean distance × detour factor,
  flagged as ``"Luftlinie × Umwegfaktor"`` in ``attrs["method"]``.

Unreachable origins (beyond the snap distance, on another network component, beyond the
cut-off) get NaN, never 0. Floating catchments live in :mod:`sqe_geo.access.catchment`, the
aggregation of distances to counts per quarter in :mod:`sqe_geo.access.coverage`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sqe_geo._errors import InputDataError
from sqe_geo.access.network import SnapResult, WalkingNetwork, points_xy, snap_points
from sqe_geo.quality import QualityReport

__all__ = [
    "GROUPS",
    "METHOD_NETWORK",
    "METHOD_STRAIGHT_LINE",
    "access_leg_summary",
    "cut_off_from_services",
    "nearest_distances",
    "nearest_distances_straight",
    "service_points",
    "walking_minutes",
]

#: Method flags carried in ``attrs["method"]`` of the results.
METHOD_NETWORK = "Netzdistanz"
METHOD_STRAIGHT_LINE = "Luftlinie × Umwegfaktor"

#: Age-group columns understood by :func:`quarter_counts` (any subset may be present).
GROUPS: tuple[str, ...] = ("total", "young", "working_age", "older", "young_old", "oldest_old")


def walking_minutes(
    distance_m: np.ndarray | pd.Series | pd.DataFrame, speed_mps: float = 0.8
) -> np.ndarray | pd.Series | pd.DataFrame:
    """Convert metres to walking minutes at ``speed_mps`` (NaN stays NaN)."""
    if speed_mps <= 0:
        raise InputDataError(f"walking_speed_mps must be positive, got {speed_mps}.")
    return distance_m / speed_mps / 60.0


# --------------------------------------------------------------------------------------
# services
# --------------------------------------------------------------------------------------


def service_points(
    services: gpd.GeoDataFrame,
    *,
    crs: object | None = None,
    category_column: str = "category",
    id_column: str | None = None,
    layer: str = "services",
    report: QualityReport | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a service layer and return ``(xy, category, ids)`` arrays.

    Non-point geometries (e.g. playground areas) are represented by a point on their
    surface (reported as info); services without geometry are dropped and reported.

    Raises
    ------
    InputDataError
        Missing category column, CRS differing from ``crs``, or duplicate service ids.
    """
    if category_column not in services.columns:
        raise InputDataError(
            f"The service layer '{layer}' has no column '{category_column}'; add the service "
            f"category per feature or name the column (found: {list(services.columns)})."
        )
    if crs is not None and services.crs is None:
        raise InputDataError(
            f"The service layer '{layer}' has no CRS; state it in the study file or set it "
            "and reproject the services to the analysis CRS."
        )
    if crs is not None and CRS.from_user_input(services.crs) != CRS.from_user_input(crs):
        raise InputDataError(
            f"The service layer '{layer}' is in {CRS.from_user_input(services.crs).name}, "
            f"the network in {CRS.from_user_input(crs).name}; reproject the services to "
            "the analysis CRS first."
        )
    ids = services.index if id_column is None else pd.Index(services[id_column])
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()
        where = "index" if id_column is None else f"column '{id_column}'"
        raise InputDataError(
            f"The service layer '{layer}' has duplicate ids in its {where}: "
            f"{', '.join(map(str, dup[:10]))}; make the service ids unique."
        )
    xy = points_xy(services)
    types = services.geom_type.to_numpy()
    missing = ~np.isfinite(xy).all(axis=1)
    if report is not None:
        areal = (~missing) & (types != "Point")
        if areal.any():
            report.add(
                "service_not_point",
                layer,
                f"{int(areal.sum())} service(s) in '{layer}' are not points; a point on their "
                "surface is used.",
                severity="info",
                items=ids[areal],
            )
        if missing.any():
            report.add(
                "service_without_geometry",
                layer,
                f"{int(missing.sum())} service(s) in '{layer}' have no geometry and are ignored.",
                items=ids[missing],
            )
    keep = ~missing
    category = services[category_column].to_numpy(dtype=object)
    return xy[keep], category[keep], np.asarray(ids)[keep]


# --------------------------------------------------------------------------------------
# graph helpers
# --------------------------------------------------------------------------------------


def augment_graph(
    graph: sparse.csr_matrix, rows: Sequence[tuple[np.ndarray, np.ndarray]]
) -> sparse.csr_matrix:
    """Append virtual source rows (edges only *out of* them) to a square CSR graph."""
    n = graph.shape[0]
    size = n + len(rows)
    counts = np.array([r[0].size for r in rows], dtype=np.int64)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([graph.indices, *(r[0] for r in rows)]).astype(np.int32)
    data = np.concatenate([graph.data, *(r[1] for r in rows)])
    return sparse.csr_matrix((data, indices, indptr), shape=(size, size))


def source_edges(
    network: WalkingNetwork, snap: SnapResult, sel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edges from a virtual source to both ends of the snapped edges of points ``sel``."""
    e = snap.edge[sel]
    h = snap.access_m[sel]
    a = snap.along_m[sel]
    length = network.edge_length[e]
    nodes = np.concatenate([network.edge_u[e], network.edge_v[e]])
    weight = np.concatenate([h + a, h + (length - a)])
    # Several services may reach the same node: keep the shortest (CSR would add them).
    order = np.lexsort((weight, nodes))
    nodes, weight = nodes[order], weight[order]
    first = np.ones(nodes.size, dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    return nodes[first], weight[first]


def same_edge_pairs(o_edge: np.ndarray, s_edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (origin position, service position) pairs snapped to the same edge."""
    order = np.argsort(s_edge, kind="stable")
    sorted_edges = s_edge[order]
    lo = np.searchsorted(sorted_edges, o_edge, side="left")
    hi = np.searchsorted(sorted_edges, o_edge, side="right")
    count = hi - lo
    o_pos = np.repeat(np.arange(o_edge.size), count)
    offset = np.arange(o_pos.size) - np.repeat(np.cumsum(count) - count, count)
    s_pos = order[np.repeat(lo, count) + offset]
    return o_pos, s_pos


def distances_at_origins(
    network: WalkingNetwork, dist_nodes: np.ndarray, snap: SnapResult, sel: np.ndarray
) -> np.ndarray:
    """Distance at origins ``sel`` from node distances ``dist_nodes`` (..., n_nodes)."""
    e = snap.edge[sel]
    a = snap.along_m[sel]
    h = snap.access_m[sel]
    length = network.edge_length[e]
    via_u = dist_nodes[..., network.edge_u[e]] + a
    via_v = dist_nodes[..., network.edge_v[e]] + (length - a)
    dist: np.ndarray = np.minimum(via_u, via_v) + h
    return dist


def snap_origins(
    network: WalkingNetwork,
    origins_xy: np.ndarray,
    origin_snap: SnapResult | None,
    max_snap_m: float,
) -> SnapResult:
    if origin_snap is None:
        return snap_points(network, origins_xy, max_snap_m=max_snap_m)
    if len(origin_snap) != origins_xy.shape[0]:
        raise InputDataError(
            f"origin_snap holds {len(origin_snap)} points for {origins_xy.shape[0]} origins; "
            "snap the same origins."
        )
    return origin_snap


# --------------------------------------------------------------------------------------
# nearest service
# --------------------------------------------------------------------------------------


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
    o_pos, s_pos = same_edge_pairs(o_snap.edge[o_sel], s_snap.edge[s_sel])
    if o_pos.size:
        direct = (
            o_snap.access_m[o_sel][o_pos]
            + np.abs(o_snap.along_m[o_sel][o_pos] - s_snap.along_m[s_sel][s_pos])
            + s_snap.access_m[s_sel][s_pos]
        )
        np.minimum.at(d, o_pos, direct)
    d[~(np.isfinite(d) & (d <= limit))] = np.nan
    return d


def nearest_distances(
    network: WalkingNetwork,
    origins_xy: np.ndarray,
    services: gpd.GeoDataFrame,
    categories: Sequence[str] | None = None,
    *,
    cutoff_m: float | None = 2000.0,
    max_snap_m: float = 300.0,
    category_column: str = "category",
    id_column: str | None = None,
    origin_ids: Sequence[Hashable] | None = None,
    origin_snap: SnapResult | None = None,
    report: QualityReport | None = None,
    layer: str = "services",
) -> pd.DataFrame:
    """Network distance in metres from every origin to the nearest service per category.

    Parameters
    ----------
    network
        The walking network (metric CRS).
    origins_xy
        ``(n, 2)`` origin coordinates in the network CRS.
    services
        Service points with a category column, in the network CRS.
    categories
        Categories to compute (default: all present in ``services``). A requested category
        without services gives an all-NaN column and a report finding.
    cutoff_m
        Search limit in metres (``None``: unlimited); farther services count as not reached.
    max_snap_m
        Maximum straight access leg from a point to the network.
    category_column, id_column
        Service category column and id column (default: the index; must be unique).
    origin_ids
        Ids used to list unsnapped origins in the report (default: positions).
    origin_snap
        Precomputed :func:`~sqe_geo.access.network.snap_points` result for the origins.
    report
        Receives unsnapped origins/services, empty categories and unreached origins.
    layer
        Name of the service layer in messages.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows (index ``origin_ids`` or ``0..n-1``) × one column per category, metres,
        NaN where unreachable; ``attrs["method"] == "Netzdistanz"``.
    """
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    s_xy, s_cat, s_ids = service_points(
        services,
        crs=network.crs,
        category_column=category_column,
        id_column=id_column,
        layer=layer,
        report=report,
    )
    if s_xy.shape[0] == 0:
        raise InputDataError(
            f"The service layer '{layer}' is empty; provide services or drop the accessibility "
            "indicators that need it."
        )
    if categories is None:
        categories = sorted(pd.unique(s_cat).tolist(), key=str)
    if origin_ids is None:
        index: pd.Index = pd.RangeIndex(origins_xy.shape[0])
    else:
        index = pd.Index(origin_ids)
    o_snap = snap_origins(network, origins_xy, origin_snap, max_snap_m)
    s_snap = snap_points(network, s_xy, max_snap_m=max_snap_m)
    if report is not None:
        _report_unsnapped(report, o_snap, s_snap, s_ids, index, max_snap_m, layer)
    o_sel = np.flatnonzero(o_snap.snapped)
    out = np.full((origins_xy.shape[0], len(categories)), np.nan)
    for k, cat in enumerate(categories):  # a handful of categories, one Dijkstra each
        s_sel = np.flatnonzero(s_snap.snapped & (s_cat == cat))
        if s_sel.size == 0:
            if report is not None:
                n_all = int((s_cat == cat).sum())
                report.add(
                    "category_without_services",
                    layer,
                    f"Category '{cat}' has no service on the network in '{layer}' "
                    f"({n_all} in the layer); its distances are all unreachable (NaN).",
                    items=[cat],
                )
            continue
        out[o_sel, k] = _nearest_one(network, o_snap, o_sel, s_snap, s_sel, cutoff_m)
    result = pd.DataFrame(out, index=index, columns=list(categories))
    result.attrs["method"] = METHOD_NETWORK
    if report is not None:
        _report_unreached(report, result, o_snap.snapped, cutoff_m, layer)
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

    Returns ``count`` (snapped origins), ``median_m``, ``max_m`` and ``over_{long_m}_m``
    (legs longer than ``long_m``); medians of an empty set are NaN.
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
    o_snap: SnapResult,
    s_snap: SnapResult,
    s_ids: np.ndarray,
    o_index: pd.Index,
    max_snap_m: float,
    layer: str,
) -> None:
    if (~o_snap.snapped).any():
        report.add(
            "origin_not_on_network",
            "origins",
            f"{int((~o_snap.snapped).sum())} origin(s) lie farther than {max_snap_m:g} m from "
            "the walking network (or have no coordinates); they count as unreachable.",
            items=o_index[~o_snap.snapped],
        )
    if (~s_snap.snapped).any():
        report.add(
            "service_not_on_network",
            layer,
            f"{int((~s_snap.snapped).sum())} service(s) in '{layer}' lie farther than "
            f"{max_snap_m:g} m from the walking network; they are ignored.",
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
        limit = "within the cut-off" if cutoff_m is None else f"within {cutoff_m:g} m"
        report.add(
            "origin_unreached",
            layer,
            f"Origins on the network reach no service {limit} (other network component or "
            "too far) for some categories; their distance is NaN.",
            severity="info",
            items=items,
            count=int(counts.sum()),
        )


def nearest_distances_straight(
    origins_xy: np.ndarray,
    services: gpd.GeoDataFrame,
    categories: Sequence[str] | None = None,
    *,
    detour_factor: float = 1.3,
    cutoff_m: float | None = 2000.0,
    category_column: str = "category",
    id_column: str | None = None,
    origin_ids: Sequence[Hashable] | None = None,
    report: QualityReport | None = None,
    layer: str = "services",
) -> pd.DataFrame:
    """Straight-line fallback: euclidean distance × detour factor to the nearest service.

    Same output as :func:`nearest_distances` with ``attrs["method"] ==
    "Luftlinie × Umwegfaktor"`` and ``attrs["detour_factor"]``; origins whose estimated
    distance exceeds ``cutoff_m`` or that lack coordinates are NaN.
    """
    if detour_factor < 1:
        raise InputDataError(f"detour_factor must be at least 1, got {detour_factor}.")
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    if services.crs is not None:
        crs = CRS.from_user_input(services.crs)
        if not crs.is_projected:
            raise InputDataError(
                f"The service layer '{layer}' is in {crs.name}; reproject it to the metric "
                "analysis CRS (e.g. EPSG:25832) first."
            )
    s_xy, s_cat, _ = service_points(
        services, category_column=category_column, id_column=id_column, layer=layer, report=report
    )
    if s_xy.shape[0] == 0:
        raise InputDataError(
            f"The service layer '{layer}' is empty; provide services or drop the accessibility "
            "indicators that need it."
        )
    if categories is None:
        categories = sorted(pd.unique(s_cat).tolist(), key=str)
    if origin_ids is None:
        index: pd.Index = pd.RangeIndex(origins_xy.shape[0])
    else:
        index = pd.Index(origin_ids)
    finite = np.isfinite(origins_xy).all(axis=1)
    out = np.full((origins_xy.shape[0], len(categories)), np.nan)
    bound = np.inf if cutoff_m is None else cutoff_m / detour_factor
    for k, cat in enumerate(categories):
        pts = s_xy[s_cat == cat]
        if pts.shape[0] == 0:
            if report is not None:
                report.add(
                    "category_without_services",
                    layer,
                    f"Category '{cat}' has no service in '{layer}'; its distances are NaN.",
                    items=[cat],
                )
            continue
        d, _ = cKDTree(pts).query(origins_xy[finite], k=1, distance_upper_bound=bound)
        d = np.asarray(d) * detour_factor  # an array: query() of 2-D points with k=1
        d[~np.isfinite(d)] = np.nan
        out[finite, k] = d
    result = pd.DataFrame(out, index=index, columns=list(categories))
    result.attrs["method"] = METHOD_STRAIGHT_LINE
    result.attrs["detour_factor"] = detour_factor
    return result
