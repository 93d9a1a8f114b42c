"""Tests of the accessibility engine against hand-computed values and independent oracles."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from towns import random_streets

from sqe_geo._errors import InputDataError
from sqe_geo.access.accessibility import (
    METHOD_NETWORK,
    METHOD_STRAIGHT_LINE,
    nearest_distances,
    walking_minutes,
)
from sqe_geo.access.catchment import (
    Decay,
    decay_weights,
    enhanced_two_step_fca,
    fca_distances,
    two_step_fca,
)
from sqe_geo.access.coverage import quarter_counts, weighted_median
from sqe_geo.access.network import build_network
from sqe_geo.access.snapping import snap_points
from sqe_geo.access.straight_line import nearest_distances_straight
from sqe_geo.access.walking import Origins, ServiceLayer, Walking
from sqe_geo.quality import QualityReport

CRS = "EPSG:25832"
X0, Y0 = 456_000.0, 5_430_000.0


def shift(coords):
    return [(X0 + x, Y0 + y) for x, y in coords]


def lines_gdf(geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), crs=CRS)


def services_gdf(xy, category, **columns) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(
        {"category": category, **columns},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )


def oracle_graph(net, snaps: dict[str, object]) -> nx.Graph:
    """networkx graph with every snapped point inserted on its edge as its own node.

    ``snaps`` maps a name prefix to a SnapResult; node names are ``(prefix, i)``. Edges are
    subdivided at the projected points, so same-edge paths need no special case here.
    """
    g = nx.Graph()
    rows = []
    for prefix, snap in snaps.items():
        for i in np.flatnonzero(snap.snapped):
            rows.append((int(snap.edge[i]), float(snap.along_m[i]), (prefix, int(i)), snap))
    by_edge: dict[int, list] = {}
    for e, along, name, snap in rows:
        by_edge.setdefault(e, []).append((along, name, snap))
    for e in range(net.n_edges):
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.edge_length[e])
        chain = [(0.0, u)]
        for along, name, snap in sorted(by_edge.get(e, []), key=lambda r: r[0]):
            split = ("split", name)
            chain.append((along, split))
            g.add_edge(split, name, weight=float(snap.access_m[name[1]]))
        chain.append((length, v))
        for (a0, n0), (a1, n1) in itertools.pairwise(chain):
            g.add_edge(n0, n1, weight=a1 - a0)
    return g


def oracle_nearest(net, o_snap, s_snap, s_mask, cutoff):
    g = oracle_graph(net, {"o": o_snap, "s": s_snap})
    sources = [("s", int(i)) for i in np.flatnonzero(s_snap.snapped & s_mask)]
    out = np.full(len(o_snap), np.nan)
    if not sources:
        return out
    dist = nx.multi_source_dijkstra_path_length(g, sources, cutoff=cutoff, weight="weight")
    for i in np.flatnonzero(o_snap.snapped):
        out[i] = dist.get(("o", int(i)), np.nan)
    return out


# ---------------------------------------------------------------------------- nearest


def test_same_edge_by_hand():
    net = build_network(lines_gdf([LineString(shift([(0, 0), (100, 0)]))]))
    services = services_gdf(shift([(70, -3)]), ["food"])
    d = nearest_distances(
        net, np.array(shift([(20, 5), (95, 1)])), services, walking=Walking(cutoff_m=None)
    )
    np.testing.assert_allclose(d["food"], [5 + 50 + 3, 1 + 25 + 3])
    assert d.attrs["method"] == METHOD_NETWORK


def test_path_around_the_block_by_hand():
    # square block 100 m; origin and service on opposite sides, detour via the corners
    square = LineString(shift([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)]))
    net = build_network(lines_gdf([square]))
    services = services_gdf(shift([(30, 102)]), ["pharmacy"])
    d = nearest_distances(
        net, np.array(shift([(20, -1)])), services, walking=Walking(cutoff_m=1000)
    )
    # 1 (leg) + 20 (to corner 0,0) + 100 (up) + 30 (along top) + 2 (leg) = 153
    assert d.loc[0, "pharmacy"] == pytest.approx(153.0)
    walk = walking_minutes(d, 0.8)
    assert walk.loc[0, "pharmacy"] == pytest.approx(153 / 0.8 / 60)


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_nearest_matches_networkx(seed):
    rng = np.random.default_rng(seed)
    net = build_network(random_streets(seed, keep_share=0.75))
    # origins: inside the city, a few on the island, a few far away (beyond the snap limit)
    origin = np.array([X0, Y0])
    origins = origin + np.vstack(
        [
            rng.uniform([-20, -20], [580, 580], (150, 2)),
            rng.uniform([905, 905], [955, 955], (5, 2)),
            [[2000, 2000], [-900, 100]],
        ]
    )
    s_xy = origin + rng.uniform([-20, -20], [580, 580], (30, 2))
    s_xy[0] = origins[0] + [0.5, 0.5]  # a service sharing the origin's edge
    s_xy[-1] = [X0 + 930, Y0 + 902]  # a service on the island
    cats = np.array(["a", "b", "c"])[rng.integers(0, 3, s_xy.shape[0])]
    services = services_gdf(s_xy, cats)
    cutoff = 350.0
    report = QualityReport()
    ours = nearest_distances(
        net,
        origins,
        services,
        ["a", "b", "c"],
        walking=Walking(cutoff_m=cutoff, max_snap_m=60),
        report=report,
    )
    o_snap = snap_points(net, origins, max_snap_m=60)
    s_snap = snap_points(net, s_xy, max_snap_m=60)
    for cat in "abc":
        expected = oracle_nearest(net, o_snap, s_snap, cats == cat, cutoff)
        np.testing.assert_array_equal(np.isnan(ours[cat]), np.isnan(expected))
        np.testing.assert_allclose(ours[cat], expected, atol=1e-6, equal_nan=True)
        finite = ours[cat].notna().to_numpy()
        assert (ours[cat][finite] >= o_snap.access_m[finite]).all()
    assert ours.iloc[-2:].isna().all().all()  # beyond the snap limit: NaN, never 0
    (unsnapped,) = report.by_check("origin_not_on_network")
    assert {"155", "156"} <= set(unsnapped.items)


def test_unlimited_cutoff_and_other_component():
    net = build_network(random_streets(21, keep_share=0.75))
    origins = np.array([[X0 + 930, Y0 + 901], [X0 + 100, Y0 + 80]])
    services = services_gdf([[X0 + 5, Y0 + 2]], ["food"])
    report = QualityReport()
    d = nearest_distances(net, origins, services, walking=Walking(cutoff_m=None), report=report)
    assert np.isnan(d.loc[0, "food"])  # island: no path
    assert np.isfinite(d.loc[1, "food"])
    assert report.by_check("origin_unreached")[0].count == 1


# ---------------------------------------------------------------------------- bad input


def small_net():
    return build_network(lines_gdf([LineString(shift([(0, 0), (100, 0), (100, 100)]))]))


def test_empty_service_layer_raises():
    empty = services_gdf(np.empty((0, 2)), [])
    with pytest.raises(InputDataError, match="empty"):
        nearest_distances(small_net(), np.array(shift([(10, 0)])), empty)
    with pytest.raises(InputDataError, match="empty"):
        nearest_distances_straight(np.array(shift([(10, 0)])), empty)


def test_services_outside_network_are_reported():
    services = services_gdf(shift([(50, 1), (5000, 5000)]), ["food", "gp"], name=["in", "out"])
    services.index = ["s1", "s2"]
    report = QualityReport()
    d = nearest_distances(small_net(), np.array(shift([(10, 0)])), services, report=report)
    assert d.loc[0, "food"] == pytest.approx(41.0)
    assert np.isnan(d.loc[0, "gp"])
    assert report.by_check("service_not_on_network")[0].items == ("s2",)
    assert report.by_check("category_without_services")[0].items == ("gp",)


def test_requested_category_without_services_is_reported():
    services = services_gdf(shift([(50, 1)]), ["food"])
    report = QualityReport()
    d = nearest_distances(
        small_net(), np.array(shift([(10, 0)])), services, ["food", "bench"], report=report
    )
    assert d["bench"].isna().all()
    assert report.by_check("category_without_services")[0].items == ("bench",)


def test_duplicate_service_ids_raise():
    services = services_gdf(shift([(50, 1), (60, 1)]), ["food", "food"], sid=["x", "x"])
    with pytest.raises(InputDataError, match=r"duplicate ids.*'sid'"):
        nearest_distances(
            small_net(), np.array(shift([(10, 0)])), services, layer=ServiceLayer(id_column="sid")
        )
    services.index = [7, 7]
    with pytest.raises(InputDataError, match="duplicate ids in its index"):
        nearest_distances(small_net(), np.array(shift([(10, 0)])), services)


def test_service_crs_mismatch_raises():
    services = services_gdf(shift([(50, 1)]), ["food"]).to_crs("EPSG:4326")
    with pytest.raises(InputDataError, match="reproject"):
        nearest_distances(small_net(), np.array(shift([(10, 0)])), services)


def test_service_layer_without_crs_raises():
    services = services_gdf(shift([(50, 1)]), ["food"]).set_crs(None, allow_override=True)
    with pytest.raises(InputDataError, match="no CRS"):
        nearest_distances(small_net(), np.array(shift([(10, 0)])), services)


def test_origin_snap_of_other_points_raises():
    net = small_net()
    snap = snap_points(net, np.array(shift([(10, 0), (20, 0)])))
    services = services_gdf(shift([(50, 1)]), ["food"])
    with pytest.raises(InputDataError, match="origin_snap"):
        nearest_distances(net, Origins(np.array(shift([(10, 0)])), snap=snap), services)


def test_missing_category_column_raises():
    services = services_gdf(shift([(50, 1)]), ["food"]).rename(columns={"category": "kind"})
    with pytest.raises(InputDataError, match="'category'"):
        nearest_distances(small_net(), np.array(shift([(10, 0)])), services)


# ---------------------------------------------------------------------------- fallback


def test_straight_line_fallback_by_hand():
    services = services_gdf(shift([(0, 0), (300, 400)]), ["food", "gp"])
    origins = np.array([*shift([(30, 40), (300, 0)]), [np.nan, np.nan]])
    d = nearest_distances_straight(origins, services, walking=Walking(cutoff_m=550))
    assert d.attrs["method"] == METHOD_STRAIGHT_LINE == "Luftlinie × Umwegfaktor"
    np.testing.assert_allclose(d["food"], [50 * 1.3, 300 * 1.3, np.nan])
    # 450 m × 1.3 = 585 m > 550 m cut-off → NaN; 400 m × 1.3 = 520 m
    np.testing.assert_allclose(d["gp"], [np.nan, 520.0, np.nan])


# ---------------------------------------------------------------------------- FCA


def test_decay_weights_match_access_step_fn():
    from access import weights

    bands = [(100.0, 1.0), (200.0, 0.68), (300.0, 0.22)]
    fn = weights.step_fn(dict(bands))
    d = np.array([0, 50, 100, 100.0001, 150, 200, 250, 300, 300.5, 1000])
    np.testing.assert_allclose(decay_weights(d, bands=bands), [fn(x) for x in d])
    gauss = weights.gaussian(120.0)
    np.testing.assert_allclose(decay_weights(d, gaussian_sigma_m=120.0), gauss(d))


def fca_fixture(seed=31):
    rng = np.random.default_rng(seed)
    net = build_network(random_streets(seed, keep_share=0.75))
    o_xy = np.array([X0, Y0]) + rng.uniform([-20, -20], [580, 580], (120, 2))
    o_xy[-1] = [X0 + 3000, Y0]  # not on the network
    demand = rng.integers(1, 60, o_xy.shape[0]).astype(float)
    s_xy = np.array([X0, Y0]) + rng.uniform([0, 0], [560, 560], (9, 2))
    supply = rng.integers(5, 80, s_xy.shape[0]).astype(float)
    return net, o_xy, demand, s_xy, supply


def run_access(o_xy, demand, s_xy, supply, cost: np.ndarray, method: str, **kwargs):
    """PySAL access on a full origin × service cost table (NaN pairs left out)."""
    from access import Access

    oi, sj = np.nonzero(np.isfinite(cost))
    cost_df = pd.DataFrame({"origin": oi, "dest": sj, "cost": cost[oi, sj]})
    with warnings.catch_warnings():
        # access 1.1 calls set_index(inplace=True), deprecated in pandas 3.1
        warnings.filterwarnings("ignore", message="The inplace keyword", category=Warning)
        acc = Access(
            demand_df=pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(len(supply)), "cap": supply}),
            supply_index="geoid",
            supply_value="cap",
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        result = getattr(acc, method)(**kwargs)
    return result.iloc[:, 0].reindex(np.arange(len(demand))).fillna(0.0).to_numpy()


def network_cost_table(net, o_xy, s_xy):
    o_snap = snap_points(net, o_xy)
    s_snap = snap_points(net, s_xy)
    g = oracle_graph(net, {"o": o_snap, "s": s_snap})
    cost = np.full((o_xy.shape[0], s_xy.shape[0]), np.nan)
    for j in np.flatnonzero(s_snap.snapped):
        dist = nx.single_source_dijkstra_path_length(g, ("s", int(j)), weight="weight")
        for i in np.flatnonzero(o_snap.snapped):
            cost[i, j] = dist.get(("o", int(i)), np.nan)
    return cost, o_snap.snapped


def test_fca_distances_match_networkx():
    net, o_xy, _, s_xy, _ = fca_fixture()
    cost, _ = network_cost_table(net, o_xy, s_xy)
    dist, reachable, method = fca_distances(o_xy, s_xy, catchment_m=400, network=net)
    assert method == METHOD_NETWORK
    assert not reachable[-1]
    ours = np.full(cost.shape, np.nan)
    ours[dist.col, dist.row] = dist.data
    expected = np.where(cost <= 400, cost, np.nan)
    np.testing.assert_allclose(ours, expected, atol=1e-6, equal_nan=True)


def test_fca_distances_in_small_batches_agree():
    net, o_xy, _, s_xy, _ = fca_fixture()
    a, *_ = fca_distances(o_xy, s_xy, catchment_m=400, network=net)
    b, *_ = fca_distances(o_xy, s_xy, catchment_m=400, network=net, batch_cells=1)
    np.testing.assert_allclose(a.toarray(), b.toarray())


@pytest.mark.parametrize("use_network", [True, False], ids=["network", "straight"])
def test_e2sfca_and_2sfca_match_pysal_access(use_network):
    net, o_xy, demand, s_xy, supply = fca_fixture()
    if use_network:
        cost, reachable = network_cost_table(net, o_xy, s_xy)
    else:
        cost = np.hypot(*(o_xy[:, None, :] - s_xy[None, :, :]).transpose(2, 0, 1)) * 1.3
        reachable = np.ones(o_xy.shape[0], dtype=bool)
    network = net if use_network else None
    bands = [(150.0, 1.0), (300.0, 0.68), (450.0, 0.22)]

    from access import weights

    ours = enhanced_two_step_fca(o_xy, demand, s_xy, supply, decay=Decay(bands), network=network)
    theirs = run_access(
        o_xy,
        demand,
        s_xy,
        supply,
        cost,
        "enhanced_two_stage_fca",
        max_cost=450.0,
        weight_fn=weights.step_fn(dict(bands)),
    )
    np.testing.assert_allclose(ours[reachable], theirs[reachable], rtol=1e-9)
    assert ours[~reachable].isna().all()
    assert (ours[reachable] > 0).any()

    ours2 = two_step_fca(o_xy, demand, s_xy, supply, catchment_m=300.0, network=network)
    theirs2 = run_access(o_xy, demand, s_xy, supply, cost, "two_stage_fca", max_cost=300.0)
    np.testing.assert_allclose(ours2[reachable], theirs2[reachable], rtol=1e-9)

    ours3 = enhanced_two_step_fca(
        o_xy,
        demand,
        s_xy,
        supply,
        decay=Decay(bands=None, gaussian_sigma_m=200.0, catchment_m=400.0),
        network=network,
    )
    theirs3 = run_access(
        o_xy,
        demand,
        s_xy,
        supply,
        cost,
        "enhanced_two_stage_fca",
        max_cost=400.0,
        weight_fn=weights.gaussian(200.0),
    )
    np.testing.assert_allclose(ours3[reachable], theirs3[reachable], rtol=1e-9)
    expected_method = METHOD_NETWORK if use_network else METHOD_STRAIGHT_LINE
    assert ours.attrs["method"] == ours2.attrs["method"] == expected_method


def test_2sfca_by_hand():
    # one street 0..1000 m; two origins, two services, catchment 300 m
    net = build_network(lines_gdf([LineString(shift([(0, 0), (1000, 0)]))]))
    o_xy = np.array(shift([(100, 0), (500, 0)]))
    s_xy = np.array(shift([(200, 0), (900, 0)]))
    a = two_step_fca(o_xy, [10.0, 30.0], s_xy, [4.0, 6.0], catchment_m=300.0, network=net)
    # service 0 reaches both origins (100 m, 300 m): R0 = 4/40; service 1 reaches none
    np.testing.assert_allclose(a, [0.1, 0.1])


def test_fca_input_errors():
    with pytest.raises(InputDataError, match="one resident count per origin"):
        two_step_fca(np.zeros((2, 2)), [1.0], np.zeros((1, 2)), [1.0], catchment_m=10)
    with pytest.raises(InputDataError, match="negative"):
        two_step_fca(np.zeros((1, 2)), [-1.0], np.zeros((1, 2)), [1.0], catchment_m=10)
    with pytest.raises(InputDataError, match="catchment_m"):
        enhanced_two_step_fca(
            np.zeros((1, 2)), [1.0], np.zeros((1, 2)), [1.0], decay=Decay(bands=None)
        )


# ---------------------------------------------------------------------------- grid city


def grid_city():
    """A 4 × 4 block city (100 m blocks, streets at 0..400 m) with four quarters."""
    streets = [LineString(shift([(0, k * 100), (400, k * 100)])) for k in range(5)] + [
        LineString(shift([(k * 100, 0), (k * 100, 400)])) for k in range(5)
    ]
    net = build_network(lines_gdf(streets))
    # origins mid-block on streets, 10 m off the street; quarter = NW/NE/SW/SE
    pts = [(50, 10), (150, 10), (250, 10), (350, 10), (50, 390), (350, 390), (210, 205)]
    origins = pd.DataFrame(
        {
            "quarter_id": ["SW", "SW", "SE", "SE", "NW", "NE", "NE"],
            "total": [10, 20, 30, 40, 50, 60, 70],
            "older": [1, 2, 3, 4, 5, 6, 7],
        }
    )
    services = services_gdf(shift([(0, 0), (400, 400)]), ["food", "food"])
    return net, np.array(shift(pts)), origins, services


def test_grid_city_coverage_by_hand():
    net, o_xy, origins, services = grid_city()
    d = nearest_distances(net, o_xy, services, ["food"], walking=Walking(cutoff_m=500))
    # hand: access leg + along-street distance to the nearer corner service, e.g.
    # (350,10): to (0,0) 10 + 350 = 360, to (400,400) 10 + 50 + 400 = 460 → 360;
    # (50,390) snaps to y=400: to (400,400) 10 + 350 = 360;
    # (210,205) snaps to y=200 (5 m): to (400,400) 5 + 190 + 200 = 395, to (0,0) 415.
    expected = [60.0, 160.0, 260.0, 360.0, 360.0, 60.0, 395.0]
    np.testing.assert_allclose(d["food"], expected)
    service_q = pd.Series(["SW", "NE"], index=services.index)
    counts = quarter_counts(
        origins,
        d,
        {"food": 300.0},
        services=pd.DataFrame({"quarter_id": service_q, "category": services["category"]}),
        quarter_ids=["NE", "NW", "SE", "SW", "XX"],
    )
    # within 300 m: origins 0 (60 m), 1 (160 m), 2 (260 m), 5 (60 m)
    assert counts.loc["SW", "within_food_total"] == 30
    assert counts.loc["SE", "within_food_total"] == 30
    assert counts.loc["NE", "within_food_total"] == 60
    assert counts.loc["NW", "within_food_total"] == 0
    assert counts.loc["NE", "within_food_older"] == 6
    assert counts.loc["XX"].sum() == 0
    assert counts["origins_total"].sum() == origins["total"].sum()
    assert counts.loc["NE", "distsum_food_total"] == pytest.approx(60 * 60 + 70 * 395)
    assert counts["services_food"].to_dict() == {"NE": 1, "NW": 0, "SE": 0, "SW": 1, "XX": 0}


def test_quarter_counts_contract_and_additivity():
    d = pd.DataFrame({"food": [100.0, np.nan, 600.0, 50.0], "gp": [900, 1200, np.nan, 10.0]})
    origins = pd.DataFrame(
        {
            "quarter_id": [1, 1, 2, 2],
            "total": [10.0, 20, 30, 40],
            "oldest_old": [1.0, 2, 3, 4],
            "other": [9, 9, 9, 9],
        }
    )
    e2 = pd.DataFrame({"food": [0.5, np.nan, 0.0, 0.25]})
    c = quarter_counts(origins, d, {"food": 500.0, "gp": 1000.0}, e2sfca=e2)
    expected_cols = {"origins_total", "origins_oldest_old"}
    for cat in ("food", "gp"):
        for g in ("total", "oldest_old"):
            expected_cols |= {
                f"counted_{cat}_{g}",
                f"within_{cat}_{g}",
                f"unreachable_{cat}_{g}",
                f"reached_{cat}_{g}",
                f"distsum_{cat}_{g}",
            }
    expected_cols |= {"e2sfca_food_total_wsum", "e2sfca_food_oldest_old_wsum"}
    assert set(c.columns) == expected_cols
    assert c.index.name == "quarter_id"
    assert c.loc[1].to_dict() == {
        **c.loc[1].to_dict(),
        "within_food_total": 10,
        "unreachable_food_total": 20,
        "reached_food_total": 10,
        "distsum_food_total": 1000,
        "within_gp_oldest_old": 1,
        "e2sfca_food_total_wsum": 5.0,
    }
    assert c.loc[2, "distsum_gp_total"] == pytest.approx(400)
    assert c.loc[2, "e2sfca_food_oldest_old_wsum"] == pytest.approx(1.0)
    # within + (reached - within) + unreachable == origins for every group and category
    for cat in ("food", "gp"):
        for g in ("total", "oldest_old"):
            np.testing.assert_allclose(
                c[f"reached_{cat}_{g}"] + c[f"unreachable_{cat}_{g}"], c[f"origins_{g}"]
            )
    # city level equals the sum of quarters
    city = quarter_counts(
        origins.assign(quarter_id="city"), d, {"food": 500.0, "gp": 1000.0}, e2sfca=e2
    )
    pd.testing.assert_series_equal(city.loc["city"], c.sum(), check_names=False)


def test_quarter_counts_reports_what_it_cannot_count():
    origins = pd.DataFrame({"quarter_id": [1, None, 3], "total": [10.0, 20.0, 30.0]})
    d = pd.DataFrame({"food": [100.0, 200.0, 300.0]})
    report = QualityReport()
    c = quarter_counts(
        origins,
        d,
        {"food": 500.0},
        quarter_ids=[1, 2],
        services=pd.DataFrame({"quarter_id": [1, None], "category": ["food", "food"]}),
        report=report,
    )
    assert c["origins_total"].to_dict() == {1: 10.0, 2: 0.0}
    assert c["services_food"].to_dict() == {1: 1, 2: 0}
    assert "total: 20" in report.by_check("origin_without_quarter")[0].message
    assert report.by_check("origin_unknown_quarter")[0].items == ("2",)
    assert report.by_check("service_without_quarter")[0].count == 1


def test_quarter_counts_errors():
    origins = pd.DataFrame({"quarter_id": [1], "total": [1.0]})
    with pytest.raises(InputDataError, match="food"):
        quarter_counts(origins, pd.DataFrame({"gp": [1.0]}), {"food": 500.0})
    with pytest.raises(InputDataError, match="resident columns"):
        quarter_counts(origins[["quarter_id"]], pd.DataFrame({"food": [1.0]}), {"food": 5.0})
    with pytest.raises(InputDataError, match="quarter"):
        quarter_counts(origins[["total"]], pd.DataFrame({"food": [1.0]}), {"food": 5.0})


def test_weighted_median_by_hand():
    values = [100.0, 200, 300, np.nan, 50, 70]
    weights = [1.0, 1, 3, 10, 2, 2]
    keys = ["a", "a", "a", "a", "b", "b"]
    med = weighted_median(values, weights, keys)
    # a: weights 1,1,3 (NaN skipped) → half of 5 reached at 300; b: 2 of 4 reached at 50
    assert med.to_dict() == {"a": 300.0, "b": 50.0}
    # city: 50, 70, 100, 200, 300 with weights 2, 2, 1, 1, 3 → half of 9 reached at 100
    assert weighted_median(values, weights).loc["city"] == 100.0
    empty = weighted_median([np.nan], [1.0], ["c"])
    assert np.isnan(empty.loc["c"])


# ---------------------------------------------------------------------------- invariants


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_network_distance_is_never_shorter_than_the_straight_line(seed):
    rng = np.random.default_rng(seed)
    net = build_network(random_streets(seed, n=5, keep_share=0.75))
    origin = np.array([X0, Y0])
    o_xy = origin + rng.uniform(-50, 400, (40, 2))
    s_xy = origin + rng.uniform(-50, 400, (6, 2))
    services = services_gdf(s_xy, ["x"] * len(s_xy))
    d = nearest_distances(net, o_xy, services, walking=Walking(cutoff_m=None, max_snap_m=80))[
        "x"
    ].to_numpy()
    straight = np.hypot(*(o_xy[:, None, :] - s_xy[None, :, :]).transpose(2, 0, 1)).min(axis=1)
    finite = np.isfinite(d)
    assert (d[finite] >= straight[finite] - 1e-9).all()
    # and the fallback with detour factor 1 is exactly the straight line
    fallback = nearest_distances_straight(
        o_xy, services, walking=Walking(cutoff_m=None, detour_factor=1.0)
    )
    np.testing.assert_allclose(fallback["x"], straight)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), use_network=st.booleans())
def test_2sfca_conserves_supply(seed, use_network):
    # sum_i P_i A_i = sum_j S_j over services that have demand in their catchment
    rng = np.random.default_rng(seed)
    net = build_network(random_streets(seed, n=5, keep_share=0.75)) if use_network else None
    origin = np.array([X0, Y0])
    o_xy = origin + rng.uniform(0, 320, (50, 2))
    demand = rng.integers(0, 30, 50).astype(float)
    s_xy = origin + rng.uniform(0, 320, (5, 2))
    supply = rng.integers(1, 20, 5).astype(float)
    for result in (
        two_step_fca(o_xy, demand, s_xy, supply, catchment_m=200.0, network=net),
        enhanced_two_step_fca(
            o_xy, demand, s_xy, supply, decay=Decay([(100.0, 1.0), (200.0, 0.5)]), network=net
        ),
    ):
        dist, _, _ = fca_distances(o_xy, s_xy, catchment_m=200.0, network=net)
        w = decay_weights(dist.data, bands=[(100.0, 1.0), (200.0, 0.5)])
        if result.name == "2sfca":
            w = np.ones_like(w)
        served = np.bincount(dist.row, weights=demand[dist.col] * w, minlength=5) > 0
        total = np.nansum(demand * result.to_numpy())
        assert total == pytest.approx(supply[served].sum(), rel=1e-9)
