"""Building blocks of the network searches: virtual sources, distances at snapped points.

Shared by the nearest-service search (:mod:`sqe_geo.access.accessibility`) and the floating
catchments (:mod:`sqe_geo.access.catchment`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from sqe_geo._errors import InputDataError
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import SnapResult, snap_points
from sqe_geo.i18n.messages import Message

__all__ = [
    "augment_graph",
    "distances_at_origins",
    "same_edge_direct",
    "same_edge_pairs",
    "snap_origins",
    "source_edges",
]


def augment_graph(
    graph: sparse.csr_matrix, rows: Sequence[tuple[np.ndarray, np.ndarray]]
) -> sparse.csr_matrix:
    """Append virtual source rows (edges only *out of* them) to a square CSR graph.

    Parameters
    ----------
    graph
        ``(n, n)`` CSR graph.
    rows
        One ``(target nodes, weights)`` pair per virtual source.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n + len(rows), n + len(rows))``; source ``k`` is node ``n + k``.
    """
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
    """Edges from a virtual source to both ends of the snapped edges of points ``sel``.

    Parameters
    ----------
    network
        The walking network.
    snap
        Snap of the points.
    sel
        Positions of the (snapped) points joined to the source.

    Returns
    -------
    tuple of numpy.ndarray
        Target nodes and weights (access leg + part of the edge), the shortest per node.
    """
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
    """All (origin position, service position) pairs snapped to the same edge.

    Parameters
    ----------
    o_edge, s_edge
        Edge index per origin and per service.

    Returns
    -------
    tuple of numpy.ndarray
        Positions into ``o_edge`` and ``s_edge`` of each pair.
    """
    order = np.argsort(s_edge, kind="stable")
    sorted_edges = s_edge[order]
    lo = np.searchsorted(sorted_edges, o_edge, side="left")
    hi = np.searchsorted(sorted_edges, o_edge, side="right")
    count = hi - lo
    o_pos = np.repeat(np.arange(o_edge.size), count)
    offset = np.arange(o_pos.size) - np.repeat(np.cumsum(count) - count, count)
    s_pos = order[np.repeat(lo, count) + offset]
    return o_pos, s_pos


def same_edge_direct(
    o_snap: SnapResult, o_sel: np.ndarray, s_snap: SnapResult, s_sel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct paths along the edge between origins and services on the same edge.

    Parameters
    ----------
    o_snap, o_sel
        Snap of the origins and the positions searched.
    s_snap, s_sel
        Snap of the services and the positions searched.

    Returns
    -------
    tuple of numpy.ndarray
        Positions into ``o_sel`` and ``s_sel`` of each pair and its distance in metres.
    """
    o_pos, s_pos = same_edge_pairs(o_snap.edge[o_sel], s_snap.edge[s_sel])
    direct = (
        o_snap.access_m[o_sel][o_pos]
        + np.abs(o_snap.along_m[o_sel][o_pos] - s_snap.along_m[s_sel][s_pos])
        + s_snap.access_m[s_sel][s_pos]
    )
    return o_pos, s_pos, direct


def distances_at_origins(
    network: WalkingNetwork, dist_nodes: np.ndarray, snap: SnapResult, sel: np.ndarray
) -> np.ndarray:
    """Distance at origins ``sel`` from node distances ``dist_nodes`` (..., n_nodes).

    Parameters
    ----------
    network
        The walking network.
    dist_nodes
        Distances to the nodes, the last axis over nodes.
    snap, sel
        Snap of the origins and the (snapped) positions read.

    Returns
    -------
    numpy.ndarray
        ``(..., len(sel))`` distances via the nearer end of each origin's edge.
    """
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
    """The snap of the origins: ``origin_snap`` when given (checked), else snapped now.

    Parameters
    ----------
    network
        The walking network.
    origins_xy
        ``(n, 2)`` origin coordinates.
    origin_snap
        A precomputed snap of the same origins, or ``None``.
    max_snap_m
        Maximum snap distance of a fresh snap.

    Returns
    -------
    SnapResult

    Raises
    ------
    InputDataError
        ``origin_snap`` holds another number of points.
    """
    if origin_snap is None:
        return snap_points(network, origins_xy, max_snap_m=max_snap_m)
    if len(origin_snap) != origins_xy.shape[0]:
        raise InputDataError(
            Message("access.nearest.snap_mismatch", n=len(origin_snap), m=origins_xy.shape[0])
        )
    return origin_snap
