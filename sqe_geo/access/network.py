"""The walking network: a graph of street segments in a metric CRS.

The graph is stored as plain arrays so that shortest paths run in
:mod:`scipy.sparse.csgraph` without any Python loop over nodes or edges:

* every straight segment of the input lines is one edge (``edge_u``, ``edge_v``,
  ``edge_length`` in metres); the segment end points are the nodes (``node_xy``);
* ``graph`` is the symmetric CSR adjacency matrix (walking is undirected);
* ``component`` labels the connected component of every node.

Reading lines is in :mod:`sqe_geo.access.network_read`, snapping points onto the graph in
:mod:`sqe_geo.access.snapping`, the on-disk cache in :mod:`sqe_geo.access.network_cache`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from sqe_geo._errors import NetworkError
from sqe_geo.i18n.messages import Message, text
from sqe_geo.quality import QualityReport

__all__ = ["WalkingNetwork", "adjacency", "build_network"]

#: Coordinates are merged into one node when they agree to this many decimals (1 mm).
_NODE_DECIMALS = 3


@dataclass(frozen=True)
class WalkingNetwork:
    """A walking graph in a metric CRS.

    Attributes
    ----------
    node_xy
        ``(n_nodes, 2)`` node coordinates in metres.
    edge_u, edge_v
        ``(n_edges,)`` node indices of the segment start and end.
    edge_length
        ``(n_edges,)`` segment lengths in metres (> 0).
    graph
        ``(n_nodes, n_nodes)`` symmetric :class:`scipy.sparse.csr_matrix` of edge lengths.
    component
        ``(n_nodes,)`` connected-component label per node (0 = largest component).
    crs
        The CRS of the coordinates as WKT.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    graph: sparse.csr_matrix
    component: np.ndarray
    crs: str

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of (undirected) edges."""
        return int(self.edge_u.shape[0])

    @property
    def edge_geometry(self) -> np.ndarray:
        """The segments as a shapely ``LineString`` array (built on demand)."""
        return _segments(self.node_xy[self.edge_u], self.node_xy[self.edge_v])

    def edges_frame(self) -> gpd.GeoDataFrame:
        """Return the edges as a GeoDataFrame (``u``, ``v``, ``length_m``, geometry)."""
        return gpd.GeoDataFrame(
            {"u": self.edge_u, "v": self.edge_v, "length_m": self.edge_length},
            geometry=self.edge_geometry,
            crs=self.crs,
        )


def _check_metric(crs: object, layer: str) -> CRS:
    if crs is None:
        raise NetworkError(Message("access.network.layer_no_crs", layer=layer))
    crs = CRS.from_user_input(crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in ("metre", "meter"):
        kind = Message("access.network.geographic") if crs.is_geographic else unit
        raise NetworkError(
            Message("access.network.not_metric", layer=layer, crs=crs.name, unit=kind)
        )
    return crs


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    coords = np.stack([a, b], axis=1).reshape(-1, 2)
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(a.shape[0]), 2))
    return cast("npt.NDArray[np.object_]", lines)  # arrays in: an array


def _line_parts(lines: gpd.GeoDataFrame, node: bool, layer: str) -> np.ndarray:
    """The single lines of the layer, split at crossings when ``node`` is True."""
    geoms = np.asarray(lines.geometry.values, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = geoms[np.isin(shapely.get_type_id(geoms), (1, 5))]  # LineString, MultiLineString
    if geoms.size == 0:
        raise NetworkError(Message("access.network.no_line_features", layer=layer))
    if node:
        return shapely.get_parts(shapely.node(shapely.multilinestrings(shapely.get_parts(geoms))))
    return shapely.get_parts(geoms)


def _segment_nodes(
    geoms: np.ndarray, report: QualityReport | None, layer: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes and the end nodes of the segments of positive length, each pair once."""
    coords, line_idx = shapely.get_coordinates(geoms, return_index=True)
    # Consecutive vertices of the same line form a segment.
    start = np.flatnonzero(line_idx[1:] == line_idx[:-1])
    node_xy, inverse = np.unique(np.round(coords, _NODE_DECIMALS), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    u = inverse[start]
    v = inverse[start + 1]
    degenerate = u == v
    if report is not None and degenerate.any():
        report.add(
            "network_zero_length_segments",
            layer,
            Message("access.network.zero_length", n=int(degenerate.sum()), layer=layer),
            severity="info",
            count=int(degenerate.sum()),
        )
    u, v = u[~degenerate], v[~degenerate]
    if u.size == 0:
        raise NetworkError(Message("access.network.no_edges", layer=layer))
    # Undirected duplicates (two ways drawn over each other) are kept once.
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pair = np.unique(np.stack([lo, hi], axis=1), axis=0)
    return node_xy, pair[:, 0].astype(np.int64), pair[:, 1].astype(np.int64)


def build_network(
    lines: gpd.GeoDataFrame,
    *,
    node: bool | None = None,
    report: QualityReport | None = None,
    layer: str = "network",
) -> WalkingNetwork:
    """Build the walking graph from street lines.

    Parameters
    ----------
    lines
        (Multi)LineStrings in a metric projected CRS.
    node
        Split lines where they cross or touch (shapely noding). ``None`` (default) nodes
        unless ``lines.attrs["noded"]`` is True, as set by
        :func:`~sqe_geo.access.network_read.read_network_lines` for OpenStreetMap input
        (whose ways already share nodes; crossings without a shared node are bridges and
        stay unconnected).
    report
        Receives the dropped degenerate segments and the list of small islands
        (connected components other than the largest; listed, not removed).
    layer
        Layer name used in the report.

    Returns
    -------
    WalkingNetwork

    Raises
    ------
    NetworkError
        Geographic/non-metric CRS, or no usable edge.
    """
    crs = _check_metric(lines.crs, layer)
    if node is None:
        node = not bool(lines.attrs.get("noded", False))
    node_xy, u, v = _segment_nodes(_line_parts(lines, node, layer), report, layer)
    # Unreferenced nodes cannot exist here: every node comes from a segment end, but a node
    # may belong only to dropped zero-length segments; compact the node list.
    used = np.zeros(node_xy.shape[0], dtype=bool)
    used[u] = True
    used[v] = True
    if not used.all():
        remap = np.cumsum(used) - 1
        node_xy, u, v = node_xy[used], remap[u], remap[v]
    length = np.hypot(*(node_xy[v] - node_xy[u]).T)
    graph = adjacency(node_xy.shape[0], u, v, length)
    _, labels = connected_components(graph, directed=False)
    # Relabel so that 0 is the largest component, 1 the next, ...
    order = np.argsort(-np.bincount(labels), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    net = WalkingNetwork(
        node_xy=node_xy,
        edge_u=u,
        edge_v=v,
        edge_length=length,
        graph=graph,
        component=rank[labels],
        crs=crs.to_wkt(),
    )
    if report is not None and order.size > 1:
        _report_islands(net, report, layer)
    return net


def adjacency(n_nodes: int, u: np.ndarray, v: np.ndarray, length: np.ndarray) -> sparse.csr_matrix:
    """The symmetric CSR adjacency matrix of undirected edges ``u``–``v`` (sorted indices).

    Parameters
    ----------
    n_nodes
        Number of nodes.
    u, v
        Node indices of the edge ends.
    length
        Edge lengths in metres.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_nodes, n_nodes)``, an entry for each direction of each edge.
    """
    graph = sparse.csr_matrix(
        (np.concatenate([length, length]), (np.concatenate([u, v]), np.concatenate([v, u]))),
        shape=(n_nodes, n_nodes),
    )
    graph.sort_indices()
    return graph


def _report_islands(net: WalkingNetwork, report: QualityReport, layer: str) -> None:
    comp = net.component
    n_comp = int(comp.max()) + 1
    nodes = np.bincount(comp, minlength=n_comp)
    edge_comp = comp[net.edge_u]
    length = np.bincount(edge_comp, weights=net.edge_length, minlength=n_comp)
    # A representative node per component (its first node) locates it for the reader.
    first = np.full(n_comp, -1)
    first[comp[::-1]] = np.arange(comp.size)[::-1]
    x, y = net.node_xy[first].T
    items = [
        text(
            "access.network.island_item",
            k=k,
            nodes=int(nodes[k]),
            length=f"{length[k]:.0f}",
            x=f"{x[k]:.0f}",
            y=f"{y[k]:.0f}",
        )
        for k in range(1, n_comp)
    ]
    report.add(
        "network_islands",
        layer,
        Message("access.network.islands", layer=layer, n=n_comp - 1, main_nodes=int(nodes[0])),
        severity="warning",
        items=items,
    )
