"""Accessibility surface (library): nearest minutes and gravity score per point.

Oracles: hand-computed values on a straight street, networkx multi-source Dijkstra on a
jittered grid, PySAL ``access`` (``weighted_catchment``) and a brute-force sum over networkx
distances for the gravity score.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString
from test_accessibility import (
    X0,
    Y0,
    fca_fixture,
    lines_gdf,
    network_cost_table,
    oracle_nearest,
    services_gdf,
    shift,
)

from sqe_geo._errors import InputDataError
from sqe_geo.access.network import build_network
from sqe_geo.access.snapping import snap_points
from sqe_geo.access.surface import SurfaceDecay, accessibility_surface, gravity_scores
from sqe_geo.access.walking import Walking


def line_street():
    net = build_network(lines_gdf([LineString(shift([(0, 0), (1000, 0)]))]))
    services = services_gdf(shift([(100, 0), (600, 0)]), ["food", "food"], capacity=[10.0, 30.0])
    cells = np.array(shift([(0, 0), (300, 0), (900, 0), (500, 5000)]))
    return net, services, cells


def test_line_street_by_hand():
    net, services, cells = line_street()
    cumulative = SurfaceDecay("cumulative", reach_m=350.0)
    out = accessibility_surface(
        cells, services, ["food"], decay=cumulative, network=net, speed_mps=1.0,
        walking=Walking(cutoff_m=None),
    )  # fmt: skip
    # nearest: 100 m, min(200, 300) m, 300 m; the far cell is off the network
    np.testing.assert_allclose(out["minutes_food"], [100 / 60, 200 / 60, 300 / 60, np.nan])
    # within 350 m: cell 0 reaches the first, cell 300 both, cell 900 the second
    np.testing.assert_allclose(out["score_food"], [1.0, 2.0, 1.0, np.nan])
    weighted = accessibility_surface(
        cells, services, ["food"], decay=cumulative, network=net, capacity=["food"]
    )
    np.testing.assert_allclose(weighted["score_food"], [10.0, 40.0, 30.0, np.nan])


def test_line_street_exponential_gaussian_and_cut_off_by_hand():
    net, services, cells = line_street()
    exp = SurfaceDecay("exponential", reach_m=1000.0, scale_m=100.0)
    score = gravity_scores(
        cells, np.array(shift([(100, 0), (600, 0)])), [1.0, 1.0], exp, network=net
    )
    expected = [np.exp(-1) + np.exp(-6), np.exp(-2) + np.exp(-3), np.exp(-3) + np.exp(-8), np.nan]
    np.testing.assert_allclose(score, expected, rtol=1e-12)
    gauss = SurfaceDecay("gaussian", reach_m=250.0, scale_m=100.0)
    score = gravity_scores(
        cells, np.array(shift([(100, 0), (600, 0)])), [2.0, 1.0], gauss, network=net
    )
    # only pairs within 250 m: cell 0 - first (100 m), cell 300 - first (200 m)
    np.testing.assert_allclose(score, [2 * np.exp(-0.5), 2 * np.exp(-2.0), 0.0, np.nan])
    cut = accessibility_surface(
        cells, services, ["food"], decay=gauss, network=net, speed_mps=1.0,
        walking=Walking(cutoff_m=250.0),
    )  # fmt: skip
    # beyond the cut-off: NaN, never 0
    np.testing.assert_allclose(cut["minutes_food"], [100 / 60, 200 / 60, np.nan, np.nan])


def test_category_without_facilities_and_straight_line():
    _, services, cells = line_street()
    out = accessibility_surface(
        cells[:3], services, ["food", "pharmacy"], decay=SurfaceDecay("cumulative", 350.0),
        network=None, walking=Walking(detour_factor=1.5, cutoff_m=None), speed_mps=1.0,
    )  # fmt: skip
    assert out.attrs["method"].startswith("Luftlinie")
    np.testing.assert_allclose(
        out["minutes_food"], np.array([150, 300, 450]) / 60
    )  # straight × 1.5
    np.testing.assert_allclose(out["score_food"], [1.0, 1.0, 0.0])  # 1.5 × 300 > 350 m
    assert out["minutes_pharmacy"].isna().all()
    np.testing.assert_allclose(out["score_pharmacy"], 0.0)


def test_bad_decay_and_supply_raise():
    _, _, cells = line_street()
    with pytest.raises(InputDataError, match="reach"):
        SurfaceDecay("gaussian", reach_m=500.0, scale_m=0.0).as_decay()
    with pytest.raises(InputDataError, match="weight"):
        gravity_scores(cells, np.zeros((2, 2)), [1.0], SurfaceDecay())


def jittered_grid(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(-20, 600, 40.0), np.arange(-20, 600, 40.0))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-15, 15, (gx.size, 2))
    return xy + np.array([X0, Y0])


@pytest.mark.parametrize("seed", [31, 32])
def test_nearest_minutes_match_networkx(seed):
    net, _, _, s_xy, _ = fca_fixture(seed)
    cells = jittered_grid(seed)
    services = services_gdf(s_xy, ["food"] * len(s_xy))
    out = accessibility_surface(
        cells, services, ["food"], decay=SurfaceDecay(), network=net, speed_mps=0.8,
        walking=Walking(cutoff_m=450.0),
    )  # fmt: skip
    o_snap, s_snap = snap_points(net, cells), snap_points(net, s_xy)
    expected = oracle_nearest(net, o_snap, s_snap, np.ones(len(s_xy), dtype=bool), 450.0)
    np.testing.assert_allclose(out["minutes_food"] * 0.8 * 60, expected, atol=1e-6)
    assert np.isnan(expected).any() and np.isfinite(expected).any()


def pysal_weighted_catchment(supply: np.ndarray, cost: np.ndarray, weight_fn, max_cost):
    from access import Access

    oi, sj = np.nonzero(np.isfinite(cost))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword", category=Warning)
        acc = Access(
            demand_df=pd.DataFrame({"geoid": np.arange(cost.shape[0]), "pop": 1.0}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(len(supply)), "cap": supply}),
            supply_index="geoid",
            supply_value="cap",
            cost_df=pd.DataFrame({"origin": oi, "dest": sj, "cost": cost[oi, sj]}),
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        result = acc.weighted_catchment(weight_fn=weight_fn, max_cost=max_cost)
    return result.iloc[:, 0].reindex(np.arange(cost.shape[0])).fillna(0.0).to_numpy()


def test_gravity_matches_pysal_access_and_brute_force():
    from access import weights

    net, _, _, s_xy, supply = fca_fixture(33)
    cells = jittered_grid(33)
    cost, reachable = network_cost_table(net, cells, s_xy)
    gauss = gravity_scores(cells, s_xy, supply, SurfaceDecay("gaussian", 400.0, 150.0), network=net)
    theirs = pysal_weighted_catchment(supply, cost, weights.gaussian(150.0), 400.0)
    np.testing.assert_allclose(gauss[reachable], theirs[reachable], rtol=1e-9)
    assert np.isnan(gauss[~reachable]).all() and (gauss[reachable] > 0).any()
    cum = gravity_scores(cells, s_xy, supply, SurfaceDecay("cumulative", 300.0), network=net)
    theirs = pysal_weighted_catchment(supply, cost, weights.step_fn({300.0: 1.0}), 300.0)
    np.testing.assert_allclose(cum[reachable], theirs[reachable], rtol=1e-9)
    # exponential: brute force over the full networkx cost table
    exp = gravity_scores(cells, s_xy, supply, SurfaceDecay("exponential", 350.0, 90.0), network=net)
    within = np.where(cost <= 350.0, np.exp(-cost / 90.0), 0.0)
    brute = (np.nan_to_num(within) * supply[None, :]).sum(axis=1)
    np.testing.assert_allclose(exp[reachable], brute[reachable], rtol=1e-9)
