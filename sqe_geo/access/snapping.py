"""Snapping points onto the walking network.

Points (origins, services) are snapped to the nearest *edge*, not node: the access leg
(straight line from the point to its projection on the segment) and the position along
the segment are kept so that distances can be read exactly from both segment ends.
A point farther from the network than the maximum snap distance is unreachable: its
distances are NaN, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo.access.network import WalkingNetwork

__all__ = ["SnapResult", "points_xy", "snap_points"]


@dataclass(frozen=True)
class SnapResult:
    """Where points meet the network.

    Attributes
    ----------
    snapped
        ``(n,)`` bool: the point lies within the maximum snap distance of an edge.
    edge
        ``(n,)`` index of the nearest edge; only meaningful where ``snapped`` is True
        (it is -1 elsewhere and must not be used).
    along_m
        ``(n,)`` distance in metres from the edge's ``u`` node to the projected point
        along the edge; NaN where not snapped.
    access_m
        ``(n,)`` length in metres of the straight access leg from the point to the
        edge; NaN where not snapped.
    """

    snapped: np.ndarray
    edge: np.ndarray
    along_m: np.ndarray
    access_m: np.ndarray

    def __len__(self) -> int:
        return int(self.snapped.shape[0])


def snap_points(
    network: WalkingNetwork, xy: np.ndarray, *, max_snap_m: float = 300.0
) -> SnapResult:
    """Snap points to the nearest edge of the network.

    Parameters
    ----------
    network
        The walking network.
    xy
        ``(n, 2)`` point coordinates in the network's CRS. Rows with NaN are not snapped.
    max_snap_m
        Points farther than this from every edge are not snapped (unreachable).

    Returns
    -------
    SnapResult
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = xy.shape[0]
    edge = np.full(n, -1, dtype=np.int64)
    along = np.full(n, np.nan)
    access = np.full(n, np.nan)
    snapped = np.zeros(n, dtype=bool)
    finite = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if finite.size == 0 or network.n_edges == 0:
        return SnapResult(snapped, edge, along, access)
    tree = _edge_tree(network)
    pts = shapely.points(xy[finite])
    src, tgt = tree.query_nearest(pts, max_distance=max_snap_m, all_matches=False)
    idx = finite[src]
    a = network.node_xy[network.edge_u[tgt]]
    b = network.node_xy[network.edge_v[tgt]]
    ab = b - a
    length = network.edge_length[tgt]
    t = np.clip(np.einsum("ij,ij->i", xy[idx] - a, ab) / (length * length), 0.0, 1.0)
    proj = a + t[:, None] * ab
    leg = np.hypot(*(xy[idx] - proj).T)
    ok = leg <= max_snap_m
    idx, tgt = idx[ok], tgt[ok]
    edge[idx] = tgt
    along[idx] = (t * length)[ok]
    access[idx] = leg[ok]
    snapped[idx] = True
    return SnapResult(snapped, edge, along, access)


def _edge_tree(network: WalkingNetwork) -> shapely.STRtree:
    # The tree is cached on the (frozen) network object; building it is the expensive part.
    tree = network.__dict__.get("_tree")
    if tree is None:
        tree = shapely.STRtree(network.edge_geometry)
        object.__setattr__(network, "_tree", tree)
    return tree


def points_xy(points: gpd.GeoSeries | gpd.GeoDataFrame | pd.DataFrame) -> np.ndarray:
    """Return ``(n, 2)`` coordinates of point geometries (NaN for missing/empty ones).

    Parameters
    ----------
    points
        Geometries; a non-point geometry gives a point on its surface.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float coordinates.
    """
    geom = points.geometry if hasattr(points, "geometry") else points
    arr = np.asarray(geom.values if hasattr(geom, "values") else geom, dtype=object)
    xy = np.full((arr.size, 2), np.nan)
    good = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if good.any():
        xy[good] = shapely.get_coordinates(shapely.point_on_surface(arr[good]))
    return xy
