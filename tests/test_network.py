"""Tests of the walking network: reading, noding, graph, snapping, cache."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString
from towns import random_streets

from sqe_geo._errors import InputDataError, NetworkError
from sqe_geo.access.network import build_network
from sqe_geo.access.network_cache import load_or_build_network
from sqe_geo.access.network_read import read_network_lines
from sqe_geo.access.snapping import snap_points
from sqe_geo.quality import QualityReport

CRS = "EPSG:25832"
X0, Y0 = 456_000.0, 5_430_000.0  # somewhere in Karlsruhe, UTM 32N


def lines_gdf(geoms, crs=CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), crs=crs)


def shift(coords):
    return [(X0 + x, Y0 + y) for x, y in coords]


# ---------------------------------------------------------------------------- building


def test_crossing_lines_are_noded():
    x = lines_gdf(
        [LineString(shift([(0, 0), (100, 100)])), LineString(shift([(0, 100), (100, 0)]))]
    )
    net = build_network(x)
    assert net.n_nodes == 5
    assert net.n_edges == 4
    np.testing.assert_allclose(np.sort(net.edge_length), np.full(4, np.hypot(50, 50)))
    centre = np.flatnonzero(np.all(np.isclose(net.node_xy, [X0 + 50, Y0 + 50]), axis=1))
    assert centre.size == 1
    assert net.graph[centre[0]].nnz == 4
    assert (net.graph != net.graph.T).nnz == 0


def test_touching_line_splits_the_other():
    t = lines_gdf([LineString(shift([(0, 0), (100, 0)])), LineString(shift([(40, 0), (40, 30)]))])
    net = build_network(t)
    assert net.n_edges == 3
    np.testing.assert_allclose(np.sort(net.edge_length), [30.0, 40.0, 60.0])
    assert net.component.max() == 0


def test_osm_style_lines_are_not_split_at_bridges():
    x = lines_gdf(
        [LineString(shift([(0, 0), (100, 100)])), LineString(shift([(0, 100), (100, 0)]))]
    )
    x.attrs["noded"] = True  # as read_network_lines marks OpenStreetMap ways
    report = QualityReport()
    net = build_network(x, report=report)
    assert net.n_edges == 2
    (finding,) = report.by_check("network_islands")
    assert finding.count == 1
    assert "island 1: 2 nodes" in finding.items[0]


def test_multilinestring_and_polyline_lengths():
    m = MultiLineString([shift([(0, 0), (30, 40), (30, 100)]), shift([(200, 0), (210, 0)])])
    net = build_network(lines_gdf([m]))
    assert net.edge_length.sum() == pytest.approx(50 + 60 + 10)
    assert net.component.max() == 1  # two parts


def test_duplicate_and_zero_length_segments():
    geoms = [
        LineString(shift([(0, 0), (10, 0)])),
        LineString(shift([(10, 0), (0, 0)])),  # same street drawn twice
        LineString(shift([(10, 0), (10, 0), (20, 0)])),  # repeated vertex
    ]
    report = QualityReport()
    net = build_network(lines_gdf(geoms), node=False, report=report)
    assert net.n_edges == 2
    np.testing.assert_allclose(net.graph.sum(), 2 * 20.0)  # duplicates not summed
    assert report.by_check("network_zero_length_segments")[0].count == 1


def test_geographic_crs_is_refused():
    lines = lines_gdf([LineString([(8.4, 49.0), (8.41, 49.0)])], crs="EPSG:4326")
    with pytest.raises(NetworkError, match="analysis CRS"):
        build_network(lines)


def test_no_crs_is_refused():
    with pytest.raises(NetworkError, match="no CRS"):
        build_network(lines_gdf([LineString([(0, 0), (1, 0)])], crs=None))


@pytest.mark.parametrize(
    "geoms",
    [[], [LineString(shift([(5, 5), (5, 5)]))], [shapely.Point(X0, Y0)]],
    ids=["empty", "zero-length", "points"],
)
def test_network_without_edges_raises(geoms):
    with pytest.raises(NetworkError, match="no"):
        build_network(lines_gdf(geoms))


def test_components_are_ranked_by_size():
    net = build_network(random_streets(1))
    sizes = np.bincount(net.component)
    assert (np.diff(sizes) <= 0).all()
    assert sizes[0] > 50


def test_graph_matches_networkx_shortest_paths():
    net = build_network(random_streets(2))
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length, strict=True)
    )
    from scipy.sparse.csgraph import dijkstra

    ours = dijkstra(net.graph, directed=False, indices=0)
    theirs = nx.single_source_dijkstra_path_length(g, 0)
    for node, d in theirs.items():
        assert ours[node] == pytest.approx(d, abs=1e-6)
    assert np.isinf(ours[[n for n in range(net.n_nodes) if n not in theirs]]).all()


# ---------------------------------------------------------------------------- snapping


def test_snap_onto_edge_interior():
    net = build_network(lines_gdf([LineString(shift([(0, 0), (100, 0)]))]))
    snap = snap_points(
        net, np.array([[X0 + 30, Y0 + 4], [X0 - 3, Y0 - 4], [X0 + 50, Y0 + 301]]), max_snap_m=300
    )
    assert snap.snapped.tolist() == [True, True, False]
    start_at_zero = net.node_xy[net.edge_u[0], 0] == X0
    along = snap.along_m[:2] if start_at_zero else 100 - snap.along_m[:2]
    np.testing.assert_allclose(along, [30.0, 0.0])
    np.testing.assert_allclose(snap.access_m[:2], [4.0, 5.0])
    assert np.isnan(snap.access_m[2])
    assert np.isnan(snap.along_m[2])


def test_snap_handles_missing_coordinates():
    net = build_network(lines_gdf([LineString(shift([(0, 0), (100, 0)]))]))
    snap = snap_points(net, np.array([[np.nan, np.nan], [X0 + 1, Y0 + 1]]))
    assert snap.snapped.tolist() == [False, True]
    assert np.isnan(snap.access_m[0])


def test_snap_matches_brute_force_distance():
    net = build_network(random_streets(3))
    rng = np.random.default_rng(3)
    pts = rng.uniform([X0 - 100, Y0 - 100], [X0 + 700, Y0 + 700], (200, 2))
    snap = snap_points(net, pts, max_snap_m=40)
    segments = net.edge_geometry
    dist = shapely.distance(shapely.points(pts)[:, None], segments[None, :])
    best = dist.min(axis=1)
    np.testing.assert_array_equal(snap.snapped, best <= 40)
    np.testing.assert_allclose(snap.access_m[snap.snapped], best[snap.snapped], atol=1e-6)
    # the projected point lies on the chosen edge at the reported position
    e = snap.edge[snap.snapped]
    frac = snap.along_m[snap.snapped] / net.edge_length[e]
    proj = net.node_xy[net.edge_u[e]] + frac[:, None] * (
        net.node_xy[net.edge_v[e]] - net.node_xy[net.edge_u[e]]
    )
    np.testing.assert_allclose(
        np.hypot(*(pts[snap.snapped] - proj).T), snap.access_m[snap.snapped], atol=1e-6
    )


# ---------------------------------------------------------------------------- reading

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="49.0000" lon="8.4000"/>
  <node id="2" lat="49.0000" lon="8.4010"/>
  <node id="3" lat="49.0010" lon="8.4010"/>
  <node id="4" lat="49.0010" lon="8.4000"/>
  <node id="5" lat="49.0020" lon="8.4000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="motorway"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/>
    <tag k="foot" v="no"/></way>
  <way id="13"><nd ref="4"/><nd ref="1"/><tag k="highway" v="service"/>
    <tag k="access" v="private"/></way>
  <way id="14"><nd ref="4"/><nd ref="5"/><tag k="highway" v="track"/>
    <tag k="access" v="private"/><tag k="foot" v="yes"/></way>
  <way id="15"><nd ref="1"/><nd ref="3"/><tag k="building" v="yes"/></way>
  <way id="16"><nd ref="2"/><nd ref="4"/><tag k="highway" v="trunk_link"/></way>
  <way id="17"><nd ref="3"/><nd ref="5"/><tag k="highway" v="steps"/></way>
</osm>
"""


def test_read_osm_keeps_walkable_ways(tmp_path: Path):
    path = tmp_path / "tiny.osm"
    path.write_text(OSM, encoding="utf-8")
    lines = read_network_lines(path)
    assert sorted(lines["osm_id"]) == [10, 14, 17]
    assert lines.crs.to_epsg() == 4326
    assert lines.attrs["noded"] is True
    net = build_network(lines.to_crs(CRS))
    assert net.n_edges == 3
    assert net.component.max() == 1  # footway 1-2 is separate from 4-5-3


def test_read_osm_reports_dropped_ways_and_missing_nodes(tmp_path: Path):
    path = tmp_path / "cut.osm"
    cut = OSM.replace(
        '<way id="17">',
        '<way id="18"><nd ref="3"/><nd ref="99"/><tag k="highway" v="path"/></way>\n'
        '  <way id="19"><nd ref="98"/><nd ref="99"/><tag k="highway" v="path"/></way>\n'
        '  <way id="17">',
    )
    path.write_text(cut, encoding="utf-8")
    report = QualityReport()
    lines = read_network_lines(path, report=report)
    assert sorted(lines["osm_id"]) == [10, 14, 17]
    (dropped,) = report.by_check("osm_not_walkable")
    assert dropped.count == 4  # motorway, foot=no, private service, trunk_link
    assert "highway=motorway: 1" in dropped.items
    (missing,) = report.by_check("osm_missing_nodes")
    assert missing.count == 3
    assert set(missing.items) == {"way 18", "way 19"}


def test_read_osm_pbf(tmp_path: Path):
    import osmium

    xml = tmp_path / "tiny.osm"
    xml.write_text(OSM, encoding="utf-8")
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    assert sorted(read_network_lines(pbf)["osm_id"]) == [10, 14, 17]


def test_read_osm_without_walkable_ways(tmp_path: Path):
    path = tmp_path / "none.osm"
    path.write_text(
        OSM.replace('"footway"', '"motorway"')
        .replace('"track"', '"trunk"')
        .replace('"steps"', '"motorway"'),
        encoding="utf-8",
    )
    with pytest.raises(InputDataError, match="no walkable ways"):
        read_network_lines(path)


def test_read_line_layer_without_crs(tmp_path: Path):
    path = tmp_path / "streets.shp"
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns when writing without CRS
        lines_gdf([LineString(shift([(0, 0), (100, 0)]))], crs=None).to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="no CRS"):
        read_network_lines(path)
    lines = read_network_lines(path, crs=CRS)
    assert lines.crs.to_epsg() == 25832
    assert lines.attrs["noded"] is False


def test_read_missing_file(tmp_path: Path):
    with pytest.raises(InputDataError, match="does not exist"):
        read_network_lines(tmp_path / "nope.gpkg")


def test_read_geopackage(tmp_path: Path):
    path = tmp_path / "streets.gpkg"
    random_streets(4).to_file(path, engine="pyogrio")
    lines = read_network_lines(path)
    assert len(lines) == len(random_streets(4))


# ---------------------------------------------------------------------------- cache


def test_cache_is_reused_and_rebuilt_on_change(tmp_path: Path):
    src = tmp_path / "streets.gpkg"
    random_streets(5).to_file(src, engine="pyogrio")
    cache = tmp_path / "cache"
    report = QualityReport()
    first = load_or_build_network(src, cache, report=report)
    files = sorted(cache.glob("*.npz"))
    assert len(files) == 1
    report2 = QualityReport()
    second = load_or_build_network(src, cache, report=report2)
    assert sorted(cache.glob("*.npz")) == files
    np.testing.assert_array_equal(first.node_xy, second.node_xy)
    np.testing.assert_array_equal(first.edge_u, second.edge_u)
    assert (first.graph != second.graph).nnz == 0
    # findings of the build are replayed on a cache hit
    assert [f.message for f in report2.findings] == [f.message for f in report.findings]
    assert report2.by_check("network_islands")
    random_streets(6).to_file(src, engine="pyogrio")
    third = load_or_build_network(src, cache)
    assert len(list(cache.glob("*.npz"))) == 2
    assert third.n_edges != first.n_edges or not np.array_equal(third.node_xy, first.node_xy)


def test_cache_parameters_change_key(tmp_path: Path):
    src = tmp_path / "streets.gpkg"
    random_streets(7).to_file(src, engine="pyogrio")
    load_or_build_network(src, tmp_path, node=True)
    load_or_build_network(src, tmp_path, node=False)
    assert len(list(tmp_path.glob("network_*.npz"))) == 2
