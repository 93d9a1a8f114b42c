"""Walking accessibility: nearest-service distances, floating catchments, quarter counts.

Distances are network distances in metres on a :class:`~sqe_geo.network.WalkingNetwork`:

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
cut-off) get NaN, never 0. Results are aggregated to additive count columns per quarter
(:func:`quarter_counts`) so higher levels can sum them; medians are computed per grouping
key from the origins (:func:`weighted_median`) because medians cannot be summed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sqe_geo._errors import InputDataError
from sqe_geo.network import SnapResult, WalkingNetwork, points_xy, snap_points
from sqe_geo.quality import QualityReport

__all__ = [
    "DEFAULT_E2SFCA_BANDS",
    "GROUPS",
    "METHOD_NETWORK",
    "METHOD_STRAIGHT_LINE",
    "decay_weights",
    "enhanced_two_step_fca",
    "fca_distances",
    "nearest_distances",
    "nearest_distances_straight",
    "quarter_counts",
    "service_points",
    "two_step_fca",
    "walking_minutes",
    "weighted_median",
]

#: Method flags carried in ``attrs["method"]`` of the results.
METHOD_NETWORK = "Netzdistanz"
METHOD_STRAIGHT_LINE = "Luftlinie × Umwegfaktor"

#: Age-group columns understood by :func:`quarter_counts` (any subset may be present).
GROUPS: tuple[str, ...] = ("total", "young", "working_age", "older", "young_old", "oldest_old")

#: Default E2SFCA step bands in metres: Luo & Qi's 10/20/30-minute weights (1, 0.68, 0.22)
#: at about 50 m per minute of slow walking.
DEFAULT_E2SFCA_BANDS: tuple[tuple[float, float], ...] = (
    (500.0, 1.0),
    (1000.0, 0.68),
    (1500.0, 0.22),
)


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


def _augment(
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


def _source_edges(
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


def _same_edge_pairs(o_edge: np.ndarray, s_edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _read_at_origins(
    network: WalkingNetwork, dist_nodes: np.ndarray, snap: SnapResult, sel: np.ndarray
) -> np.ndarray:
    """Distance at origins ``sel`` from node distances ``dist_nodes`` (..., n_nodes)."""
    e = snap.edge[sel]
    a = snap.along_m[sel]
    h = snap.access_m[sel]
    length = network.edge_length[e]
    via_u = dist_nodes[..., network.edge_u[e]] + a
    via_v = dist_nodes[..., network.edge_v[e]] + (length - a)
    return np.minimum(via_u, via_v) + h


def _origin_snap(
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
    cutoff_m: float,
) -> np.ndarray:
    """Network distance to the nearest of the services ``s_sel`` for origins ``o_sel``."""
    nodes, weight = _source_edges(network, s_snap, s_sel)
    graph = _augment(network.graph, [(nodes, weight)])
    source = network.n_nodes
    limit = np.inf if cutoff_m is None else float(cutoff_m)
    dist_nodes = dijkstra(graph, directed=True, indices=source, limit=limit)
    d = _read_at_origins(network, dist_nodes, o_snap, o_sel)
    o_pos, s_pos = _same_edge_pairs(o_snap.edge[o_sel], s_snap.edge[s_sel])
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
        Precomputed :func:`~sqe_geo.network.snap_points` result for the origins.
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
    index = pd.RangeIndex(origins_xy.shape[0]) if origin_ids is None else pd.Index(origin_ids)
    o_snap = _origin_snap(network, origins_xy, origin_snap, max_snap_m)
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
    index = pd.RangeIndex(origins_xy.shape[0]) if origin_ids is None else pd.Index(origin_ids)
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
        d = d * detour_factor
        d[~np.isfinite(d)] = np.nan
        out[finite, k] = d
    result = pd.DataFrame(out, index=index, columns=list(categories))
    result.attrs["method"] = METHOD_STRAIGHT_LINE
    result.attrs["detour_factor"] = detour_factor
    return result


# --------------------------------------------------------------------------------------
# floating catchments
# --------------------------------------------------------------------------------------


def decay_weights(
    distance_m: np.ndarray,
    *,
    bands: Sequence[tuple[float, float]] | None = None,
    gaussian_sigma_m: float | None = None,
) -> np.ndarray:
    """Distance-decay weights.

    Parameters
    ----------
    distance_m
        Distances in metres.
    bands
        Step bands ``[(upper_m, weight), ...]``: the weight of the first band whose upper
        bound is ≥ the distance (bounds inclusive, as in PySAL ``access.weights.step_fn``);
        0 beyond the last band.
    gaussian_sigma_m
        Gaussian decay ``exp(-d² / (2 σ²))`` (w(0) = 1), used when ``bands`` is None.
        Neither given: weight 1 (classic 2SFCA).
    """
    d = np.asarray(distance_m, dtype=float)
    if bands is not None:
        table = np.asarray(sorted(bands), dtype=float).reshape(-1, 2)
        if (table[:, 1] < 0).any():
            raise InputDataError("E2SFCA band weights must not be negative.")
        pos = np.searchsorted(table[:, 0], d, side="left")
        weight = np.append(table[:, 1], 0.0)
        return weight[np.minimum(pos, table.shape[0])]
    if gaussian_sigma_m is not None:
        if gaussian_sigma_m <= 0:
            raise InputDataError(f"gaussian_sigma_m must be positive, got {gaussian_sigma_m}.")
        return np.exp(-(d * d) / (2.0 * gaussian_sigma_m**2))
    return np.ones_like(d)


def fca_distances(
    origins_xy: np.ndarray,
    services_xy: np.ndarray,
    *,
    catchment_m: float,
    network: WalkingNetwork | None = None,
    max_snap_m: float = 300.0,
    detour_factor: float = 1.3,
    origin_snap: SnapResult | None = None,
    batch_cells: int = 8_000_000,
) -> tuple[sparse.coo_matrix, np.ndarray, str]:
    """Service-to-origin distances within a catchment.

    Returns
    -------
    distances
        ``(n_services, n_origins)`` COO matrix of distances ≤ ``catchment_m`` (explicit
        entries, zeros included; absent = outside the catchment or unreachable).
    reachable
        ``(n_origins,)`` bool: the origin is on the network (always True for finite
        coordinates with the straight-line fallback).
    method
        ``"Netzdistanz"`` or ``"Luftlinie × Umwegfaktor"``.
    """
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    services_xy = np.asarray(services_xy, dtype=float).reshape(-1, 2)
    n_o, n_s = origins_xy.shape[0], services_xy.shape[0]
    if network is None:
        o_ok = np.isfinite(origins_xy).all(axis=1)
        s_ok = np.flatnonzero(np.isfinite(services_xy).all(axis=1))
        o_idx = np.flatnonzero(o_ok)
        pairs = cKDTree(services_xy[s_ok]).sparse_distance_matrix(
            cKDTree(origins_xy[o_idx]), catchment_m / detour_factor, output_type="ndarray"
        )
        coo = sparse.coo_matrix(
            (pairs["v"] * detour_factor, (s_ok[pairs["i"]], o_idx[pairs["j"]])), shape=(n_s, n_o)
        )
        return coo, o_ok, METHOD_STRAIGHT_LINE
    o_snap = _origin_snap(network, origins_xy, origin_snap, max_snap_m)
    s_snap = snap_points(network, services_xy, max_snap_m=max_snap_m)
    o_sel = np.flatnonzero(o_snap.snapped)
    s_all = np.flatnonzero(s_snap.snapped)
    rows, cols, vals = [], [], []
    batch = max(1, int(batch_cells // max(network.n_nodes, o_sel.size, 1)))
    for start in range(0, s_all.size, batch):  # a few batches of services, not origins
        s_sel = s_all[start : start + batch]
        srcs = [_source_edges(network, s_snap, s_sel[k : k + 1]) for k in range(s_sel.size)]
        graph = _augment(network.graph, srcs)
        dist_nodes = dijkstra(
            graph,
            directed=True,
            indices=network.n_nodes + np.arange(s_sel.size),
            limit=catchment_m,
        )
        d = _read_at_origins(network, dist_nodes, o_snap, o_sel)  # (batch, n_sel)
        o_pos, s_pos = _same_edge_pairs(o_snap.edge[o_sel], s_snap.edge[s_sel])
        if o_pos.size:
            direct = (
                o_snap.access_m[o_sel][o_pos]
                + np.abs(o_snap.along_m[o_sel][o_pos] - s_snap.along_m[s_sel][s_pos])
                + s_snap.access_m[s_sel][s_pos]
            )
            np.minimum.at(d, (s_pos, o_pos), direct)
        r, c = np.nonzero(d <= catchment_m)
        rows.append(s_sel[r])
        cols.append(o_sel[c])
        vals.append(d[r, c])
    coo = sparse.coo_matrix(
        (
            np.concatenate([*vals, np.empty(0)]),
            (
                np.concatenate([*rows, np.empty(0, dtype=np.int64)]),
                np.concatenate([*cols, np.empty(0, dtype=np.int64)]),
            ),
        ),
        shape=(n_s, n_o),
    )
    return coo, o_snap.snapped.copy(), METHOD_NETWORK


def _fca(
    dist: sparse.coo_matrix,
    reachable: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    j, i = dist.row, dist.col
    weighted_demand = np.bincount(j, weights=demand[i] * weight, minlength=supply.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weighted_demand > 0, supply / weighted_demand, 0.0)
    access = np.bincount(i, weights=ratio[j] * weight, minlength=demand.size)
    access[~reachable] = np.nan
    return access


def _check_fca_inputs(
    origins_xy: np.ndarray, demand: np.ndarray, services_xy: np.ndarray, supply: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    services_xy = np.asarray(services_xy, dtype=float).reshape(-1, 2)
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    if demand.shape != (origins_xy.shape[0],):
        raise InputDataError(
            f"demand has {demand.size} values for {origins_xy.shape[0]} origins; give one "
            "resident count per origin."
        )
    if supply.shape != (services_xy.shape[0],):
        raise InputDataError(
            f"supply has {supply.size} values for {services_xy.shape[0]} services; give one "
            "capacity per service."
        )
    if not (np.isfinite(demand).all() and np.isfinite(supply).all()):
        raise InputDataError("demand and supply must be finite numbers (no NaN); fill or drop.")
    if (demand < 0).any() or (supply < 0).any():
        raise InputDataError("demand and supply must not be negative.")
    return origins_xy, demand, services_xy, supply


def enhanced_two_step_fca(
    origins_xy: np.ndarray,
    demand: np.ndarray,
    services_xy: np.ndarray,
    supply: np.ndarray,
    *,
    bands: Sequence[tuple[float, float]] | None = DEFAULT_E2SFCA_BANDS,
    gaussian_sigma_m: float | None = None,
    catchment_m: float | None = None,
    network: WalkingNetwork | None = None,
    max_snap_m: float = 300.0,
    detour_factor: float = 1.3,
    origin_snap: SnapResult | None = None,
) -> pd.Series:
    """Enhanced two-step floating catchment (E2SFCA) accessibility per origin.

    ``R_j = S_j / Σ_i P_i·w(d_ij)`` over origins within the catchment of service ``j``,
    ``A_i = Σ_j R_j·w(d_ij)``.

    Parameters
    ----------
    origins_xy, demand
        ``(n, 2)`` origin coordinates and ``(n,)`` residents (P_i) of the target group.
    services_xy, supply
        ``(m, 2)`` service coordinates and ``(m,)`` capacities (S_j, e.g. care places).
    bands
        Step decay ``[(upper_m, weight), ...]``; pass ``None`` to use ``gaussian_sigma_m``.
    gaussian_sigma_m
        Gaussian decay width in metres (needs ``catchment_m``).
    catchment_m
        Maximum distance; default: the last band's upper bound.
    network
        Walking network; ``None`` uses straight line × ``detour_factor``.
    max_snap_m, detour_factor, origin_snap
        See :func:`nearest_distances` and :func:`nearest_distances_straight`.

    Returns
    -------
    pandas.Series
        A_i per origin (capacity per resident; multiply by 1000 for "per 1,000"); 0 where no
        service is within the catchment, NaN where the origin is not on the network.
        ``attrs["method"]`` names the distance method.
    """
    if catchment_m is None:
        if bands is None:
            raise InputDataError("E2SFCA with a Gaussian decay needs catchment_m.")
        catchment_m = max(b[0] for b in bands)
    o_xy, demand, s_xy, supply = _check_fca_inputs(origins_xy, demand, services_xy, supply)
    dist, reachable, method = fca_distances(
        o_xy,
        s_xy,
        catchment_m=catchment_m,
        network=network,
        max_snap_m=max_snap_m,
        detour_factor=detour_factor,
        origin_snap=origin_snap,
    )
    weight = decay_weights(dist.data, bands=bands, gaussian_sigma_m=gaussian_sigma_m)
    result = pd.Series(_fca(dist, reachable, demand, supply, weight), name="e2sfca")
    result.attrs["method"] = method
    return result


def two_step_fca(
    origins_xy: np.ndarray,
    demand: np.ndarray,
    services_xy: np.ndarray,
    supply: np.ndarray,
    *,
    catchment_m: float,
    network: WalkingNetwork | None = None,
    max_snap_m: float = 300.0,
    detour_factor: float = 1.3,
    origin_snap: SnapResult | None = None,
) -> pd.Series:
    """Classic two-step floating catchment (2SFCA): weight 1 within ``catchment_m``.

    Same inputs and output as :func:`enhanced_two_step_fca`.
    """
    o_xy, demand, s_xy, supply = _check_fca_inputs(origins_xy, demand, services_xy, supply)
    dist, reachable, method = fca_distances(
        o_xy,
        s_xy,
        catchment_m=catchment_m,
        network=network,
        max_snap_m=max_snap_m,
        detour_factor=detour_factor,
        origin_snap=origin_snap,
    )
    weight = np.ones_like(dist.data)
    result = pd.Series(_fca(dist, reachable, demand, supply, weight), name="2sfca")
    result.attrs["method"] = method
    return result


# --------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------


def quarter_counts(
    origins: pd.DataFrame,
    distances: pd.DataFrame,
    thresholds_m: Mapping[str, float],
    *,
    e2sfca: pd.DataFrame | None = None,
    services_quarter: pd.Series | None = None,
    services_category: pd.Series | None = None,
    quarter_ids: Sequence[Hashable] | None = None,
    quarter_column: str = "quarter_id",
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Additive count columns per quarter (higher levels sum them).

    Parameters
    ----------
    origins
        One row per origin with ``quarter_column`` and resident counts in any of the
        columns :data:`GROUPS` (``total``, ``young``, ``working_age``, ``older``,
        ``young_old``, ``oldest_old``).
    distances
        Origins × categories distances in metres (NaN = unreachable), row-aligned with
        ``origins`` (same length; positions are used).
    thresholds_m
        Coverage threshold per category; its keys are the categories counted.
    e2sfca
        Optional origins × categories E2SFCA values A_i (row-aligned).
    services_quarter, services_category
        Quarter id and category per service (same index) for ``services_{cat}``.
    quarter_ids
        All quarters to list (quarters without origins get zeros); default: those present.
    quarter_column
        Name of the quarter id column.
    report
        Receives origins and services without a quarter id (they are not counted) and
        origins whose quarter is not in ``quarter_ids``.

    Returns
    -------
    pandas.DataFrame
        Indexed by quarter id, columns ``origins_{group}``, ``within_{cat}_{group}``,
        ``unreachable_{cat}_{group}``, ``reached_{cat}_{group}``, ``distsum_{cat}_{group}``,
        ``e2sfca_{cat}_{group}_wsum`` (with ``e2sfca``) and ``services_{cat}``.
    """
    if quarter_column not in origins.columns:
        raise InputDataError(
            f"The origins have no column '{quarter_column}'; assign each origin its quarter."
        )
    groups = [g for g in GROUPS if g in origins.columns]
    if not groups:
        raise InputDataError(
            f"The origins have none of the resident columns {', '.join(GROUPS)}; add at least "
            "'total'."
        )
    if len(distances) != len(origins):
        raise InputDataError(
            f"distances has {len(distances)} rows for {len(origins)} origins; compute them for "
            "the same origins."
        )
    missing = [c for c in thresholds_m if c not in distances.columns]
    if missing:
        raise InputDataError(
            f"No distances for categories {missing}; compute them or remove their thresholds."
        )
    if e2sfca is not None and len(e2sfca) != len(origins):
        raise InputDataError("e2sfca must have one row per origin.")
    pop = origins[groups].to_numpy(dtype=float)
    if not np.isfinite(pop).all() or (pop < 0).any():
        raise InputDataError(
            f"Resident counts in columns {groups} must be finite and non-negative."
        )
    cols: dict[str, np.ndarray] = {f"origins_{g}": pop[:, k] for k, g in enumerate(groups)}
    for cat, threshold in thresholds_m.items():
        d = distances[cat].to_numpy(dtype=float)
        reached = np.isfinite(d)
        within = reached & (d <= threshold)
        d0 = np.where(reached, d, 0.0)
        for k, g in enumerate(groups):
            p = pop[:, k]
            cols[f"within_{cat}_{g}"] = p * within
            cols[f"unreachable_{cat}_{g}"] = p * ~reached
            cols[f"reached_{cat}_{g}"] = p * reached
            cols[f"distsum_{cat}_{g}"] = p * d0
        if e2sfca is not None and cat in e2sfca.columns:
            a = e2sfca[cat].to_numpy(dtype=float)
            a0 = np.where(np.isfinite(a), a, 0.0)
            for k, g in enumerate(groups):
                cols[f"e2sfca_{cat}_{g}_wsum"] = pop[:, k] * a0
    frame = pd.DataFrame(cols)
    quarter = origins[quarter_column].to_numpy()
    frame[quarter_column] = quarter
    no_quarter = pd.isna(quarter)
    if no_quarter.any():
        # groupby would drop them silently; say how many residents are left out
        _report_not_counted(report, "origin_without_quarter", "origins", no_quarter, pop, groups)
    if quarter_ids is not None:
        unknown = ~no_quarter & ~pd.Index(quarter).isin(pd.Index(quarter_ids))
        if unknown.any():
            _report_not_counted(report, "origin_unknown_quarter", "origins", unknown, pop, groups)
    out = frame.groupby(quarter_column, sort=True).sum()
    if services_quarter is not None:
        if services_category is None:
            raise InputDataError("services_quarter needs services_category (same index).")
        svc = pd.DataFrame({"q": services_quarter, "c": services_category})
        lost = svc["q"].isna() & svc["c"].isin(list(thresholds_m))
        if lost.any() and report is not None:
            report.add(
                "service_without_quarter",
                "services",
                f"{int(lost.sum())} service(s) lie in no quarter and are not counted in "
                "services_{category}.",
                items=svc.index[lost],
            )
        table = pd.crosstab(svc["q"], svc["c"])
        for cat in thresholds_m:
            col = table[cat] if cat in table.columns else pd.Series(dtype=float)
            out[f"services_{cat}"] = col.reindex(out.index).fillna(0).astype(np.int64)
    if quarter_ids is not None:
        out = out.reindex(pd.Index(quarter_ids, name=quarter_column), fill_value=0)
    out.index.name = quarter_column
    return out


def _report_not_counted(
    report: QualityReport | None,
    check: str,
    layer: str,
    mask: np.ndarray,
    pop: np.ndarray,
    groups: list[str],
) -> None:
    if report is None:
        return
    residents = ", ".join(f"{g}: {pop[mask, k].sum():g}" for k, g in enumerate(groups))
    what = "no quarter id" if check == "origin_without_quarter" else "a quarter not listed"
    report.add(
        check,
        layer,
        f"{int(mask.sum())} origin(s) have {what} and are not counted ({residents}).",
        items=np.flatnonzero(mask),
    )


def weighted_median(
    values: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series,
    by: np.ndarray | pd.Series | None = None,
) -> pd.Series:
    """Lower weighted median of ``values`` per group of ``by`` (NaN values are skipped).

    The median is the smallest value at which the cumulative weight reaches half of the
    group's total weight (of non-NaN values). Groups without any weight give NaN. Use it for
    median distance per quarter, planning area or city (``by=None``): medians cannot be
    summed from quarter figures.
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keys = np.zeros(v.size, dtype=np.int64) if by is None else np.asarray(by)
    if not (v.size == w.size == keys.size):
        raise InputDataError("values, weights and by must have the same length.")
    codes, uniques = pd.factorize(keys, sort=True)
    n_groups = len(uniques)
    ok = np.isfinite(v) & (w > 0) & (codes >= 0)
    v, w, codes = v[ok], w[ok], codes[ok]
    order = np.lexsort((v, codes))
    v, w, codes = v[order], w[order], codes[order]
    total = np.bincount(codes, weights=w, minlength=n_groups)
    cum = np.cumsum(w)
    start = np.concatenate([[0.0], cum])[np.searchsorted(codes, np.arange(n_groups))]
    within = cum - start[codes]
    hit = within >= 0.5 * total[codes] * (1 - 1e-12)
    first = np.full(n_groups, -1)
    idx = np.flatnonzero(hit)
    # first hit per group: hits are sorted by group, so keep the first of each run
    grp = codes[idx]
    lead = np.ones(idx.size, dtype=bool)
    lead[1:] = grp[1:] != grp[:-1]
    first[grp[lead]] = idx[lead]
    med = np.where(first >= 0, v[np.maximum(first, 0)] if v.size else np.nan, np.nan)
    index = pd.Index(["city"] if by is None else uniques)
    return pd.Series(med, index=index, name="median_m")
