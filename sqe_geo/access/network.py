"""The walking network: reading street lines, building a graph, snapping points onto it.

The graph is stored as plain arrays so that shortest paths run in
:mod:`scipy.sparse.csgraph` without any Python loop over nodes or edges:

* every straight segment of the input lines is one edge (``edge_u``, ``edge_v``,
  ``edge_length`` in metres); the segment end points are the nodes (``node_xy``);
* ``graph`` is the symmetric CSR adjacency matrix (walking is undirected);
* ``component`` labels the connected component of every node.

Points (origins, services) are snapped to the nearest *edge*, not node: the access leg
(straight line from the point to its projection on the segment) and the position along
the segment are kept so that distances can be read exactly from both segment ends.
A point farther from the network than the maximum snap distance is unreachable: its
distances are NaN, never 0.

Built graphs can be cached on disk (``.npz``) keyed by the content hash of the input file
and the build parameters, see :func:`load_or_build_network`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from sqe_geo._errors import InputDataError, NetworkError
from sqe_geo.io.hashing import file_sha256, sha256_hex
from sqe_geo.io.extent import check_extent
from sqe_geo.io.layers import is_osm
from sqe_geo.quality import QualityReport

__all__ = [
    "DROPPED_HIGHWAYS",
    "WALKABLE_HIGHWAYS",
    "SnapResult",
    "WalkingNetwork",
    "build_network",
    "load_or_build_network",
    "points_xy",
    "read_network_lines",
    "snap_points",
]

#: ``highway`` values kept from OpenStreetMap as walkable.
WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "residential",
        "living_street",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "steps",
        "track",
        "cycleway",
        "bridleway",
        "road",
        "corridor",
        "elevator",
        "platform",
    }
)

#: ``highway`` values never walkable (motorways and trunk roads).
DROPPED_HIGHWAYS: frozenset[str] = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})

#: Version of the cache layout; bump when :class:`WalkingNetwork` changes.
_CACHE_VERSION = 1

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


# --------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------


def read_network_lines(
    path: str | Path, *, crs: object | None = None, report: QualityReport | None = None
) -> gpd.GeoDataFrame:
    """Read walkable street lines from a line layer or an OpenStreetMap file.

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON or Shapefile with (Multi)LineStrings, or an OpenStreetMap
        ``.osm`` (XML) or ``.osm.pbf`` file.
    crs
        CRS to assume when the file does not state one (anything :class:`pyproj.CRS`
        accepts). OpenStreetMap files are always WGS84 (EPSG:4326).
    report
        Receives OSM ways dropped as not walkable (info) and ways or nodes dropped because
        the extract lacks node locations (warning), and non-line features of line layers.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per line, in the CRS of the file (not reprojected). OSM input has the
        columns ``osm_id`` and ``highway`` and ``attrs["noded"] = True`` (OSM ways share
        nodes at junctions, so crossings without a shared node are bridges/tunnels and
        must not be split).

    Raises
    ------
    InputDataError
        The file is missing or unreadable, holds no lines, or has no CRS and none is given.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"Network file {path} does not exist; check the network path.")
    if is_osm(path):
        return _read_osm(path, report)
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types
        raise InputDataError(f"Network file {path} cannot be read: {exc}") from exc
    if gdf.crs is None:
        if crs is None:
            raise InputDataError(
                f"Network file {path} has no CRS; state it in the study file "
                "(e.g. crs = 'EPSG:25832') or write the file with a CRS."
            )
        gdf = gdf.set_crs(CRS.from_user_input(crs))
    types = gdf.geom_type
    keep = types.isin(["LineString", "MultiLineString"]).to_numpy()
    if not keep.any():
        raise InputDataError(
            f"Network file {path} holds no LineString features (found: "
            f"{sorted(set(types.dropna()))}); provide a street line layer."
        )
    if report is not None and not keep.all():
        report.add(
            "network_not_lines",
            path.name,
            f"{int((~keep).sum())} feature(s) of {path.name} are not lines and were ignored.",
            count=int((~keep).sum()),
        )
    gdf = gdf.loc[keep].reset_index(drop=True)
    gdf.attrs["noded"] = False
    gdf.attrs["source"] = str(path)
    return gdf


def _osm_walkable(tags: dict[str, str]) -> bool:
    highway = tags.get("highway")
    if highway is None or highway in DROPPED_HIGHWAYS or highway not in WALKABLE_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    if tags.get("access") in ("private", "no"):
        return foot in ("yes", "designated", "permissive")
    return True


def _read_osm(path: Path, report: QualityReport | None) -> gpd.GeoDataFrame:
    import osmium

    not_walkable: dict[str, int] = {}
    broken: list[int] = []
    missing_nodes = 0
    ids: list[int] = []
    highways: list[str] = []
    counts: list[int] = []
    coords: list[tuple[float, float]] = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.WAY | osmium.osm.NODE)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        # Parsing is the one unavoidable loop over ways; geometry work after it is vectorised.
        for way in processor:
            if not isinstance(way, osmium.osm.Way):  # what way.is_way() tests; narrows the type
                continue
            tags = dict(way.tags)
            if not _osm_walkable(tags):
                key = tags["highway"]
                not_walkable[key] = not_walkable.get(key, 0) + 1
                continue
            pts = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
            missing_nodes += len(way.nodes) - len(pts)
            if len(pts) < 2:
                broken.append(way.id)
                continue
            ids.append(way.id)
            highways.append(tags["highway"])
            counts.append(len(pts))
            coords.extend(pts)
    except RuntimeError as exc:
        raise InputDataError(f"OpenStreetMap file {path} cannot be read: {exc}") from exc
    if not ids:
        raise InputDataError(
            f"OpenStreetMap file {path} holds no walkable ways (highway=footway, residential, "
            "...); check the extract."
        )
    if report is not None:
        _report_osm(report, path, not_walkable, broken, missing_nodes)
    index = np.repeat(np.arange(len(ids)), counts)
    lines = shapely.linestrings(np.asarray(coords, dtype=float), indices=index)
    gdf = gpd.GeoDataFrame(
        {"osm_id": np.asarray(ids, dtype=np.int64), "highway": highways},
        geometry=lines,
        crs="EPSG:4326",
    )
    gdf.attrs["noded"] = True
    gdf.attrs["source"] = str(path)
    return gdf


def _report_osm(
    report: QualityReport,
    path: Path,
    not_walkable: dict[str, int],
    broken: list[int],
    missing_nodes: int,
) -> None:
    if not_walkable:
        report.add(
            "osm_not_walkable",
            path.name,
            f"{sum(not_walkable.values())} way(s) in {path.name} are not walkable "
            "(motorway/trunk, foot=no, private access, or a non-street highway value) and "
            "were left out.",
            severity="info",
            items=[f"highway={k}: {n}" for k, n in sorted(not_walkable.items())],
            count=sum(not_walkable.values()),
        )
    if missing_nodes:
        report.add(
            "osm_missing_nodes",
            path.name,
            f"{missing_nodes} node reference(s) of walkable ways in {path.name} have no location "
            f"in the extract (cut at its border); {len(broken)} way(s) kept fewer than two "
            "nodes and were dropped, the others were shortened.",
            items=[f"way {w}" for w in broken],
            count=missing_nodes,
        )


# --------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------


def _check_metric(crs: object, what: str) -> CRS:
    if crs is None:
        raise NetworkError(
            f"{what} has no CRS; set the analysis CRS (e.g. EPSG:25832) and reproject first."
        )
    crs = CRS.from_user_input(crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in ("metre", "meter"):
        raise NetworkError(
            f"{what} is in {crs.name} ({'geographic' if crs.is_geographic else unit}), not a "
            "metric projected CRS; set the analysis CRS (e.g. EPSG:25832) and reproject "
            "(GeoDataFrame.to_crs) before building the network."
        )
    return crs


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    coords = np.stack([a, b], axis=1).reshape(-1, 2)
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(a.shape[0]), 2))
    return cast("npt.NDArray[np.object_]", lines)  # arrays in: an array


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
        unless ``lines.attrs["noded"]`` is True, as set by :func:`read_network_lines` for
        OpenStreetMap input (whose ways already share nodes; crossings without a shared
        node are bridges and stay unconnected).
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
    crs = _check_metric(lines.crs, f"The network layer '{layer}'")
    if node is None:
        node = not bool(lines.attrs.get("noded", False))
    geoms = np.asarray(lines.geometry.values, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = geoms[np.isin(shapely.get_type_id(geoms), (1, 5))]  # LineString, MultiLineString
    if geoms.size == 0:
        raise NetworkError(
            f"The network layer '{layer}' has no line features, so the walking graph has no "
            "edges; check the network file or its highway filter."
        )
    if node:
        geoms = shapely.get_parts(shapely.node(shapely.multilinestrings(shapely.get_parts(geoms))))
    else:
        geoms = shapely.get_parts(geoms)
    coords, line_idx = shapely.get_coordinates(geoms, return_index=True)
    # Consecutive vertices of the same line form a segment.
    same = line_idx[1:] == line_idx[:-1]
    start = np.flatnonzero(same)
    key = np.round(coords, _NODE_DECIMALS)
    node_xy, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    u = inverse[start]
    v = inverse[start + 1]
    degenerate = u == v
    if report is not None and degenerate.any():
        report.add(
            "network_zero_length_segments",
            layer,
            f"{int(degenerate.sum())} zero-length segment(s) (repeated vertices) in the "
            f"network layer '{layer}' were dropped.",
            severity="info",
            count=int(degenerate.sum()),
        )
    u, v = u[~degenerate], v[~degenerate]
    if u.size == 0:
        raise NetworkError(
            f"The network layer '{layer}' yields no edges of positive length; check the file."
        )
    # Undirected duplicates (two ways drawn over each other) are kept once.
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pair = np.unique(np.stack([lo, hi], axis=1), axis=0)
    u, v = pair[:, 0].astype(np.int64), pair[:, 1].astype(np.int64)
    # Unreferenced nodes cannot exist here: every node comes from a segment end, but a node
    # may belong only to dropped zero-length segments; compact the node list.
    used = np.zeros(node_xy.shape[0], dtype=bool)
    used[u] = True
    used[v] = True
    if not used.all():
        remap = np.cumsum(used) - 1
        node_xy, u, v = node_xy[used], remap[u], remap[v]
    length = np.hypot(*(node_xy[v] - node_xy[u]).T)
    return _assemble(node_xy, u, v, length, crs.to_wkt(), report=report, layer=layer)


def _assemble(
    node_xy: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    crs_wkt: str,
    *,
    report: QualityReport | None,
    layer: str,
) -> WalkingNetwork:
    n = node_xy.shape[0]
    graph = sparse.csr_matrix(
        (np.concatenate([length, length]), (np.concatenate([u, v]), np.concatenate([v, u]))),
        shape=(n, n),
    )
    graph.sort_indices()
    _, labels = connected_components(graph, directed=False)
    # Relabel so that 0 is the largest component, 1 the next, ...
    sizes = np.bincount(labels)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    component = rank[labels]
    net = WalkingNetwork(
        node_xy=node_xy,
        edge_u=u,
        edge_v=v,
        edge_length=length,
        graph=graph,
        component=component,
        crs=crs_wkt,
    )
    if report is not None and order.size > 1:
        _report_islands(net, report, layer)
    return net


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
        f"island {k}: {nodes[k]} nodes, {length[k]:.0f} m, near ({x[k]:.0f}, {y[k]:.0f})"
        for k in range(1, n_comp)
    ]
    report.add(
        "network_islands",
        layer,
        f"The network '{layer}' has {n_comp - 1} island(s) not connected to its main part "
        f"({nodes[0]} nodes); points snapped onto an island reach only services on that "
        "island. Islands are kept, not removed.",
        severity="warning",
        items=items,
    )


# --------------------------------------------------------------------------------------
# snapping
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# cache
# --------------------------------------------------------------------------------------


def load_or_build_network(
    path: str | Path | Sequence[str | Path],
    cache_dir: str | Path,
    *,
    crs: object = "EPSG:25832",
    source_crs: object | None = None,
    node: bool | None = None,
    report: QualityReport | None = None,
) -> WalkingNetwork:
    """Return the walking network of a file, from the on-disk cache when up to date.

    The cache key is the SHA-256 of the file content plus the parameters, so a changed
    file or parameter builds a new graph; the graph is stored as ``.npz`` in ``cache_dir``.

    Parameters
    ----------
    path
        Network file (see :func:`read_network_lines`), or several (adjacent OSM extracts,
        tiles of a line layer): their lines are merged, lines present in more than one
        file are kept once (reported).
    cache_dir
        Folder for cached graphs (created if missing).
    crs
        The metric analysis CRS the lines are reprojected to.
    source_crs
        CRS of the file when it does not state one.
    node
        See :func:`build_network`.
    report
        Receives findings of a fresh build; on a cache hit the stored findings of the
        build are replayed into it, so nothing reported once disappears later.

    Returns
    -------
    WalkingNetwork
    """
    paths = [Path(p) for p in ([path] if isinstance(path, str | Path) else path)]
    if not paths:
        raise InputDataError("The network names no file; give 'path' in [network].")
    for item in paths:
        if not item.exists():
            raise InputDataError(f"Network file {item} does not exist; check the network path.")
        if item.is_dir():
            raise InputDataError(
                f"Network file {item} is a folder, not a file; name the file inside it."
            )
    target = CRS.from_user_input(crs)
    params = {
        "v": _CACHE_VERSION,
        "crs": target.to_wkt(),
        "source_crs": None if source_crs is None else CRS.from_user_input(source_crs).to_wkt(),
        "node": node,
    }
    key = sha256_hex(
        ("".join(file_sha256(p) for p in paths) + json.dumps(params, sort_keys=True)).encode()
    )[:24]
    cache_dir = Path(cache_dir)
    cache_file = cache_dir / f"network_{key}.npz"
    if cache_file.exists():
        try:
            return _load_npz(cache_file, report)
        except (OSError, ValueError, KeyError):
            pass  # a broken cache file is rebuilt below and overwritten
    local = QualityReport()
    lines = _read_merged(paths, target, source_crs, local)
    layer = ", ".join(p.name for p in paths)
    net = build_network(lines, node=node, report=local, layer=layer)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_name(cache_file.stem + ".tmp.npz")
    np.savez(
        tmp,
        node_xy=net.node_xy,
        edge_u=net.edge_u,
        edge_v=net.edge_v,
        edge_length=net.edge_length,
        component=net.component,
        crs=np.array(net.crs),
        findings=np.array(_findings_json(local)),
    )
    tmp.replace(cache_file)
    if report is not None:
        report.extend(local)
    return net


def _read_merged(
    paths: list[Path], target: CRS, source_crs: object | None, report: QualityReport
) -> gpd.GeoDataFrame:
    """Lines of one or several network files in the analysis CRS, duplicates dropped."""
    parts = []
    for item in paths:
        lines = read_network_lines(item, crs=source_crs, report=report)
        noded = lines.attrs.get("noded", False)
        # degrees labelled as metres, swapped axes, a wrong zone: refused, not built
        check_extent(lines, target, what="network", source=item.name)
        parts.append((lines.to_crs(target), noded))
    if len(parts) == 1:
        lines, noded = parts[0]
        lines.attrs["noded"] = noded
        return lines
    merged = gpd.GeoDataFrame(
        pd.concat([p[["geometry"]] for p, _ in parts], ignore_index=True),
        geometry="geometry",
        crs=target,
    )
    # adjacent extracts overlap at their edges: a line in both files is one street
    key = shapely.to_wkb(shapely.normalize(merged.geometry.values))
    twice = pd.Series(key).duplicated().to_numpy()
    if twice.any():
        report.add(
            "network_duplicates_merged",
            ", ".join(p.name for p in paths),
            f"{int(twice.sum())} line(s) appear in more than one network file (overlapping "
            "extracts); each is used once.",
            severity="info",
            count=int(twice.sum()),
        )
    merged = merged.loc[~twice].reset_index(drop=True)
    merged.attrs["noded"] = all(noded for _, noded in parts)
    return merged


def _findings_json(report: QualityReport) -> str:
    return json.dumps(
        [
            {
                "check": f.check,
                "layer": f.layer,
                "message": f.message,
                "severity": f.severity,
                "items": list(f.items),
                "count": f.count,
            }
            for f in report.findings
        ]
    )


def _load_npz(cache_file: Path, report: QualityReport | None) -> WalkingNetwork:
    with np.load(cache_file, allow_pickle=False) as data:
        node_xy = data["node_xy"]
        u, v, length = data["edge_u"], data["edge_v"], data["edge_length"]
        component = data["component"]
        crs_wkt = str(data["crs"])
        findings = json.loads(str(data["findings"]))
    n = node_xy.shape[0]
    graph = sparse.csr_matrix(
        (np.concatenate([length, length]), (np.concatenate([u, v]), np.concatenate([v, u]))),
        shape=(n, n),
    )
    graph.sort_indices()
    if report is not None:
        for f in findings:
            report.add(
                f["check"],
                f["layer"],
                f["message"],
                severity=f["severity"],
                items=f["items"],
                count=f["count"],
            )
    return WalkingNetwork(node_xy, u, v, length, graph, component, crs_wkt)


def points_xy(points: gpd.GeoSeries | gpd.GeoDataFrame | pd.DataFrame) -> np.ndarray:
    """Return ``(n, 2)`` coordinates of point geometries (NaN for missing/empty ones)."""
    geom = points.geometry if hasattr(points, "geometry") else points
    arr = np.asarray(geom.values if hasattr(geom, "values") else geom, dtype=object)
    xy = np.full((arr.size, 2), np.nan)
    good = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if good.any():
        xy[good] = shapely.get_coordinates(shapely.point_on_surface(arr[good]))
    return xy
