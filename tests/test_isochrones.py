"""Walking catchments (sqe_geo/access/isochrones.py): hand-computed lengths and networkx.

The oracle for which nodes a band reaches is networkx's ``ego_graph`` with the edge
lengths as distances; the reached street length is computed by hand on small streets and
grids, and independently from networkx's distances on a random grid.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from sqe_geo._errors import InputDataError
from sqe_geo.access.isochrones import (
    node_distances,
    reached_segments,
    residents_in,
    walking_catchments,
)
from sqe_geo.access.network import WalkingNetwork, build_network
from sqe_geo.access.snapping import snap_points

CRS = "EPSG:25832"


def _grid(n: int = 6, spacing: float = 100.0, jitter: float = 0.0, seed: int = 0):
    """Streets of an n × n grid (one line per block side), optionally jittered nodes."""
    rng = np.random.default_rng(seed)
    xy = {
        (i, j): (
            i * spacing + rng.uniform(-jitter, jitter),
            j * spacing + rng.uniform(-jitter, jitter),
        )
        for i in range(n)
        for j in range(n)
    }
    lines = []
    for (i, j), p in xy.items():
        for q in ((i + 1, j), (i, j + 1)):
            if q in xy:
                lines.append(shapely.LineString([p, xy[q]]))
    return build_network(gpd.GeoDataFrame(geometry=lines, crs=CRS))


def _graph(net: WalkingNetwork) -> nx.Graph:
    g = nx.Graph()
    for u, v, length in zip(net.edge_u, net.edge_v, net.edge_length, strict=True):
        g.add_edge(int(u), int(v), weight=float(length))
    return g


def _node_at(net: WalkingNetwork, x: float, y: float) -> int:
    return int(np.argmin(np.hypot(net.node_xy[:, 0] - x, net.node_xy[:, 1] - y)))


def test_one_street_from_its_middle():
    street = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=CRS)
    net = build_network(street)
    # 5 min at 1 m/s = 300 m each way from the middle: 600 m of street
    bands = walking_catchments(net, (500.0, 0.0), minutes=(5, 10), speed_mps=1.0)
    assert bands["distance_m"].tolist() == [300.0, 600.0]
    assert bands["reached_m"].tolist() == pytest.approx([600.0, 1000.0])
    # 100 m off the street: the access leg counts, 200 m remain each way
    off = walking_catchments(net, (500.0, 100.0), minutes=(5,), speed_mps=1.0)
    assert off.loc[0, "reached_m"] == pytest.approx(400.0)
    # a band is the street ± half the street width, not a circle
    area = off.geometry.iloc[0]
    assert area.contains(shapely.Point(350, 20)) and not area.contains(shapely.Point(500, 80))
    assert not area.contains(shapely.Point(250, 0))


def test_grid_from_a_node_hand_computed():
    net = _grid()
    centre = (200.0, 200.0)
    bands = walking_catchments(net, centre, minutes=(2.5,), speed_mps=1.0)  # 150 m
    # 4 whole blocks sides from the centre (4 × 100 m) and 50 m onward on each of the
    # 3 further sides at the 4 neighbours (12 × 50 m)
    assert bands.loc[0, "reached_m"] == pytest.approx(1000.0)


@pytest.mark.parametrize("limit", [90.0, 150.0, 250.0, 420.0, 777.0])
def test_reached_nodes_equal_networkx_ego_graph(limit: float):
    net = _grid(n=7, jitter=20.0, seed=3)
    g = _graph(net)
    source = _node_at(net, 300.0, 300.0)
    x, y = net.node_xy[source]
    snap = snap_points(net, np.array([[x, y]]))
    start = (int(snap.edge[0]), float(snap.along_m[0]), float(snap.access_m[0]))
    distance = node_distances(net, *start, limit_m=limit)
    ours = set(np.flatnonzero(distance <= limit).tolist())
    theirs = set(nx.ego_graph(g, source, radius=limit, distance="weight").nodes)
    assert ours == theirs
    # the reached street length from networkx's distances, edge by edge
    d = nx.single_source_dijkstra_path_length(g, source, weight="weight")
    expected = 0.0
    for u, v, length in zip(net.edge_u, net.edge_v, net.edge_length, strict=True):
        rest = max(limit - d.get(int(u), np.inf), 0.0) + max(limit - d.get(int(v), np.inf), 0.0)
        expected += min(float(length), rest)
    pieces = reached_segments(net, distance, limit, start)
    assert float(shapely.length(pieces).sum()) == pytest.approx(expected, abs=1e-6)


def test_point_far_from_the_streets_is_an_error():
    net = _grid()
    with pytest.raises(InputDataError, match="farther than 300 m"):
        walking_catchments(net, (5000.0, 5000.0))
    with pytest.raises(InputDataError, match="at least one band"):
        walking_catchments(net, (200.0, 200.0), minutes=())


def test_residents_in_the_bands():
    net = _grid()
    bands = walking_catchments(net, (200.0, 200.0), minutes=(2.5, 5), speed_mps=1.0)
    origins = gpd.GeoDataFrame(
        {"total": [10, 20, 40], "older": [2, 5, 9]},
        geometry=[shapely.Point(210, 200), shapely.Point(200, 380), shapely.Point(950, 950)],
        crs=CRS,
    )
    counts = residents_in(bands, origins, ["total", "older"])
    # 150 m reaches the first location only, 300 m also the second; the third is outside
    assert counts["total"].tolist() == [10, 30]
    assert counts["older"].tolist() == [2, 7]
