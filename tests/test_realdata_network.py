"""Real Karlsruhe data: OSM walking graphs, address points, supermarkets and benches.

Reads ``../shared/karlsruhe`` in place (never copied into the repository) and skips when it
is absent. The assertions are structural facts that could fail on real data.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sqe_geo.access.accessibility import nearest_distances
from sqe_geo.access.network import build_network
from sqe_geo.access.network_cache import load_or_build_network
from sqe_geo.access.network_read import read_network_lines
from sqe_geo.access.snapping import snap_points
from sqe_geo.access.walking import Origins, ServiceLayer, Walking
from sqe_geo.quality import QualityReport

KARLSRUHE = Path(__file__).resolve().parents[2] / "shared" / "karlsruhe"
EXTRACTS = ["kitti_00", "kitti_02", "kitti_04", "kitti_09"]
CRS = "EPSG:25832"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not KARLSRUHE.is_dir(),
        reason=f"real Karlsruhe data not found at {KARLSRUHE} (../shared/karlsruhe beside repo)",
    ),
]


@pytest.fixture(scope="module")
def addresses() -> gpd.GeoDataFrame:
    table = pd.read_csv(KARLSRUHE / "population" / "adresspunkte_osm.csv")
    return gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )


@pytest.fixture(scope="module")
def services() -> gpd.GeoDataFrame:
    places = pd.DataFrame(json.loads((KARLSRUHE / "services" / "orte_osm.json").read_text("utf-8")))
    shops = places.loc[places["subcategory"] == "supermarket", ["id", "name", "lat", "lon"]]
    shops = gpd.GeoDataFrame(
        {"service_id": "orte/" + shops["id"].astype(str), "category": "supermarket"},
        geometry=gpd.points_from_xy(shops["lon"], shops["lat"]),
        crs="EPSG:4326",
    )
    benches = gpd.read_file(KARLSRUHE / "services" / "baenke_osm.geojson", engine="pyogrio")
    benches = gpd.GeoDataFrame(
        {"service_id": "bench/" + benches["id"].astype(str), "category": "bench"},
        geometry=benches.geometry.values,
        crs=benches.crs,
    )
    return pd.concat([shops, benches], ignore_index=True)


def in_box(gdf: gpd.GeoDataFrame, bounds) -> gpd.GeoDataFrame:
    return gdf.cx[bounds[0] : bounds[2], bounds[1] : bounds[3]]


def oracle(net, o_snap, s_snap, s_mask, cutoff, sample):
    """networkx multi-source Dijkstra with the snapped points inserted on their edges."""
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(), strict=True)
    )
    inserted: dict[int, list] = {}
    for prefix, snap, idx in (("o", o_snap, sample), ("s", s_snap, np.flatnonzero(s_mask))):
        for i in idx[snap.snapped[idx]]:
            inserted.setdefault(int(snap.edge[i]), []).append(
                (float(snap.along_m[i]), (prefix, int(i)), float(snap.access_m[i]))
            )
    for e, points in inserted.items():
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.edge_length[e])
        g.remove_edge(u, v)
        chain = [(0.0, u)]
        for along, name, leg in sorted(points):
            chain.append((along, ("split", name)))
            g.add_edge(("split", name), name, weight=leg)
        chain.append((length, v))
        for (a0, n0), (a1, n1) in itertools.pairwise(chain):
            g.add_edge(n0, n1, weight=a1 - a0)
    sources = [("s", int(i)) for i in np.flatnonzero(s_mask & s_snap.snapped)]
    dist = nx.multi_source_dijkstra_path_length(g, sources, cutoff=cutoff) if sources else {}
    return np.array([dist.get(("o", int(i)), np.nan) for i in sample])


@pytest.mark.parametrize("extract", EXTRACTS)
def test_real_extract_distances(extract, addresses, services, tmp_path):
    path = KARLSRUHE / "network" / f"{extract}.osm"
    lines = read_network_lines(path)
    assert lines["highway"].isin(["motorway", "trunk", "motorway_link", "trunk_link"]).sum() == 0
    bounds = lines.total_bounds
    report = QualityReport()
    net = build_network(lines.to_crs(CRS), report=report, layer=extract)
    assert net.n_nodes > 1000
    # the cached graph is identical to a fresh one
    cached = load_or_build_network(path, tmp_path)
    np.testing.assert_allclose(np.sort(cached.edge_length), np.sort(net.edge_length))

    origins = in_box(addresses, bounds).to_crs(CRS)
    svc = in_box(services, bounds).to_crs(CRS)
    assert len(origins) > 100
    o_xy = np.column_stack([origins.geometry.x, origins.geometry.y])
    cutoff = 1500.0
    dist = nearest_distances(
        net,
        Origins(o_xy, origins.index),
        svc,
        ["supermarket", "bench"],
        walking=Walking(cutoff_m=cutoff, max_snap_m=150.0),
        layer=ServiceLayer(f"services in {extract}", id_column="service_id"),
        report=report,
    )
    o_snap = snap_points(net, o_xy, max_snap_m=150.0)
    snapped = o_snap.snapped

    # every snapped point with a distance is at least its access leg away; nothing is 0 by
    # default and unsnapped origins are NaN
    for cat in dist.columns:
        d = dist[cat].to_numpy()
        finite = np.isfinite(d)
        assert (d[finite] >= o_snap.access_m[finite] - 1e-9).all()
        assert not finite[~snapped].any()
        assert (d[finite] <= cutoff).all()

    # unreachable points are reported, with their ids
    if (~snapped).any():
        (finding,) = report.by_check("origin_not_on_network")
        assert finding.count == int((~snapped).sum())
        assert set(finding.items) == {str(i) for i in origins.index[~snapped]}
    unreached = int((dist.isna().to_numpy() & snapped[:, None]).sum())
    reported = sum(f.count for f in report.by_check("origin_unreached"))
    assert reported == unreached
    if (svc["category"] == "supermarket").sum() == 0:
        assert report.by_check("category_without_services")
        assert dist["supermarket"].isna().all()
    else:
        assert dist["supermarket"].notna().any()
    # kitti_09 runs through the hill districts where no address point lies within 150 m of
    # the corridor: then every origin is unreachable and reported (checked above)
    if snapped.sum() > 50:
        assert dist["bench"][snapped].notna().mean() > 0.5
    # the extracts have detached pieces (e.g. footways without a shared node)
    assert report.by_check("network_islands")

    # networkx agrees on a sample of origins
    s_xy = np.column_stack([svc.geometry.x, svc.geometry.y])
    s_snap = snap_points(net, s_xy, max_snap_m=150.0)
    pool = np.flatnonzero(snapped) if snapped.sum() >= 60 else np.arange(len(origins))
    sample = np.random.default_rng(0).choice(pool, size=60, replace=False)
    for cat in dist.columns:
        expected = oracle(net, o_snap, s_snap, svc["category"].to_numpy() == cat, cutoff, sample)
        np.testing.assert_allclose(dist[cat].to_numpy()[sample], expected, atol=1e-6)
