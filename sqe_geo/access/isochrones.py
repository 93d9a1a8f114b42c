"""Walking catchments (isochrones): the area reachable on foot from a point within t minutes.

Built from the network, not as a circle: one Dijkstra from the point's snap (the access leg
counts), then every edge is taken as far as the remaining distance reaches it — whole where
both ends together cover it, cut at the remaining distance from each end otherwise, and the
snapped edge itself from the point in both directions. The reached street pieces are buffered
by half a street width and merged into one area per band. Bands are cumulative: the 10-minute
area contains the 5-minute one.

>>> import geopandas as gpd, shapely
>>> from sqe_geo.access.network import build_network
>>> street = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=25832)
>>> net = build_network(street)
>>> bands = walking_catchments(net, (500.0, 0.0), minutes=(5,), speed_mps=1.0)
>>> float(bands.loc[0, "distance_m"]), round(float(bands.loc[0, "reached_m"]))
(300.0, 600)
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from sqe_geo._errors import InputDataError
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import snap_points
from sqe_geo.i18n.messages import Message

__all__ = ["node_distances", "reached_segments", "residents_in", "walking_catchments"]

#: Width of the band drawn along a reached street (the area is the street ± half of it).
STREET_WIDTH_M = 50.0


def node_distances(
    network: WalkingNetwork, edge: int, along_m: float, access_m: float, limit_m: float
) -> np.ndarray:
    """Walking distance from a point snapped to ``edge`` to every node (inf beyond the limit).

    Parameters
    ----------
    network
        The walking network.
    edge
        The edge the point is snapped to.
    along_m
        Position of the snap along the edge, from its ``u`` node.
    access_m
        Length of the straight access leg from the point to the edge.
    limit_m
        Search radius; nodes farther away get ``inf``.

    Returns
    -------
    numpy.ndarray
        ``(n_nodes,)`` distances in metres.
    """
    u, v = int(network.edge_u[edge]), int(network.edge_v[edge])
    to_u = access_m + along_m
    to_v = access_m + float(network.edge_length[edge]) - along_m
    reach = np.asarray(dijkstra(network.graph, directed=False, indices=[u, v], limit=limit_m))
    distance: np.ndarray = np.minimum(to_u + reach[0], to_v + reach[1])
    return distance


def _piece(start: np.ndarray, end: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Segments from fraction ``a`` to fraction ``b`` of the lines ``start`` → ``end``."""
    p = start + (end - start) * a[:, None]
    q = start + (end - start) * b[:, None]
    return np.asarray(shapely.linestrings(np.stack([p, q], axis=1)), dtype=object)


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping intervals merged, in order (empty ones dropped)."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def reached_segments(
    network: WalkingNetwork,
    distance: np.ndarray,
    limit_m: float,
    start: tuple[int, float, float],
) -> np.ndarray:
    """The parts of the streets reachable within ``limit_m``.

    Parameters
    ----------
    network
        The walking network.
    distance
        Distance of every node from the point (:func:`node_distances`).
    limit_m
        The band's walking distance.
    start
        ``(edge, along_m, access_m)`` of the point's snap.

    Returns
    -------
    numpy.ndarray
        Shapely line segments (whole edges and cut pieces).
    """
    edge, along, access = start
    length = network.edge_length
    rest_u = np.clip(limit_m - distance[network.edge_u], 0.0, None)
    rest_v = np.clip(limit_m - distance[network.edge_v], 0.0, None)
    xy_u, xy_v = network.node_xy[network.edge_u], network.node_xy[network.edge_v]
    other = np.ones(network.n_edges, dtype=bool)
    other[edge] = False  # the snapped edge is walked from the point as well (below)
    whole = other & (rest_u + rest_v >= length)
    from_u = other & ~whole & (rest_u > 0)
    from_v = other & ~whole & (rest_v > 0)
    n_whole, n_u, n_v = int(whole.sum()), int(from_u.sum()), int(from_v.sum())
    parts = [
        _piece(xy_u[whole], xy_v[whole], np.zeros(n_whole), np.ones(n_whole)),
        _piece(xy_u[from_u], xy_v[from_u], np.zeros(n_u), rest_u[from_u] / length[from_u]),
        _piece(xy_u[from_v], xy_v[from_v], 1.0 - rest_v[from_v] / length[from_v], np.ones(n_v)),
    ]
    # The snapped edge: from its ends (reached around the block) and from the point itself.
    total = float(length[edge])
    own = limit_m - access
    spans = [(0.0, float(rest_u[edge])), (total - float(rest_v[edge]), total)]
    if own > 0:
        spans.append((along - own, along + own))
    merged = _merge([(max(a, 0.0), min(b, total)) for a, b in spans if b > a])
    if merged:
        a = np.array([m[0] for m in merged]) / total
        b = np.array([m[1] for m in merged]) / total
        parts.append(_piece(xy_u[[edge] * len(merged)], xy_v[[edge] * len(merged)], a, b))
    return np.concatenate(parts)


def walking_catchments(
    network: WalkingNetwork,
    point: tuple[float, float],
    minutes: Sequence[float] = (5.0, 10.0, 15.0),
    *,
    speed_mps: float = 0.8,
    max_snap_m: float = 300.0,
    street_width_m: float = STREET_WIDTH_M,
) -> gpd.GeoDataFrame:
    """The areas reachable on foot from a point, one per band of minutes.

    Parameters
    ----------
    network
        The walking network (metric CRS).
    point
        ``(x, y)`` in the network's CRS: a facility or any point.
    minutes
        The bands, e.g. 5, 10, 15 minutes (cumulative areas).
    speed_mps
        Walking speed (the study's, 0.8 m/s for older people by default).
    max_snap_m
        A point farther from every street is an error.
    street_width_m
        Width of the band drawn along each reached street.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band: ``minutes``, ``distance_m`` (minutes × 60 × speed), ``reached_m``
        (length of the reached streets) and the area.

    Raises
    ------
    InputDataError
        No band given, or the point lies farther than ``max_snap_m`` from the network.
    """
    bands = sorted(float(m) for m in minutes)
    if not bands or bands[0] <= 0:
        raise InputDataError(Message("access.isochrone.no_bands", minutes=list(minutes)))
    snap = snap_points(network, np.array([point], dtype=float), max_snap_m=max_snap_m)
    if not snap.snapped[0]:
        raise InputDataError(
            Message(
                "access.isochrone.off_network",
                x=round(point[0]),
                y=round(point[1]),
                max_snap=round(max_snap_m),
            )
        )
    start = (int(snap.edge[0]), float(snap.along_m[0]), float(snap.access_m[0]))
    limits = [m * 60.0 * speed_mps for m in bands]
    distance = node_distances(network, *start, limit_m=limits[-1])
    rows = []
    for m, limit in zip(bands, limits, strict=True):
        pieces = reached_segments(network, distance, limit, start)
        area = shapely.union_all(shapely.buffer(pieces, street_width_m / 2.0, quad_segs=4))
        rows.append(
            {
                "minutes": m,
                "distance_m": limit,
                "reached_m": float(shapely.length(pieces).sum()),
                "geometry": area,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)


def residents_in(
    areas: gpd.GeoDataFrame, origins: gpd.GeoDataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """Residents whose location lies inside each area (exact counts, before disclosure).

    Parameters
    ----------
    areas
        The catchments (:func:`walking_catchments`), same CRS as ``origins``.
    origins
        Residents' locations (points) with count columns.
    columns
        The count columns to sum, e.g. ``total``, ``older``, ``oldest_old``.

    Returns
    -------
    pandas.DataFrame
        One row per area (same index), one column per count.
    """
    points = origins.geometry.to_numpy()
    out = {}
    for index, area in zip(areas.index, areas.geometry.to_numpy(), strict=True):
        inside = shapely.contains(area, points)
        out[index] = origins.loc[inside, list(columns)].sum()
    return pd.DataFrame.from_dict(out, orient="index").reindex(columns=list(columns))
