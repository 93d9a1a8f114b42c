"""p-median and capacitated covering (sqe_geo/access/p_median.py, capacitated.py): a street
computed by hand, brute force over every set of sites (the capacitated value by networkx
maximum flow), and spopt's MCLP and PMedian as an independent solver on random instances."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from test_locations import _grid, _street

from sqe_geo.access.capacitated import capacitated_covering
from sqe_geo.access.locations import coverage_matrix, maximal_covering, site_distances
from sqe_geo.access.p_median import p_median, present_distance
from sqe_geo.access.snapping import snap_points

# older residents at 100, 400, 900, 1000, 1100, 1800 m along a 2 km street (10 m off it)
XS = np.array([100, 400, 900, 1000, 1100, 1800], dtype=float)
WEIGHT = np.array([5, 7, 3, 4, 6, 9], dtype=float)


def _origins(net):
    return snap_points(net, np.column_stack([XS, np.full(XS.size, 10.0)]))


def test_p_median_on_one_street_by_hand():
    net = _street()
    origins = _origins(net)
    existing = site_distances(net, origins, np.array([[250.0, 0.0]]), 1000.0)
    candidates = site_distances(net, origins, np.array([[1000.0, 0.0], [1700.0, 0.0]]), 1000.0)
    # today (facility at 250 m): 160, 160, 660, 760, 860 m; 1800 m is 1,560 m away and counts
    # as the 1,000 m cut-off: 5·160 + 7·160 + 3·660 + 4·760 + 6·860 + 9·1000 = 21,100
    assert present_distance(existing).tolist() == [160, 160, 660, 760, 860, 1000]
    one = p_median(existing, candidates, WEIGHT, k=1)
    assert one.distance_before == 21_100 and one.beyond_before == 9
    # at 1000 m: 3·550 + 4·750 + 6·750 + 9·(1000 - 810) = 10,860; at 1700 m: 9·890 + 6·250
    # + 4·50 = 9,710 -> 1000 m wins; the 9 at 1,800 m are then 810 m away, within the cut-off
    assert one.sites == [0] and one.savings == [10_860]
    assert one.distance_after == 10_240 and one.served == [22] and one.beyond_after == 0
    assert one.method == "exact" and one.gap == 0 and one.cutoff_m == 1000
    two = p_median(existing, candidates, WEIGHT, k=2)
    # then 1700 m brings the 9 at 1,800 m from 810 to 110 m: 9·700 = 6,300
    assert two.sites == [0, 1] and two.savings == [10_860, 6_300]
    assert two.distance_after == 3_940 and two.served == [13, 9] and two.method == "exact"


def test_capacitated_covering_on_one_street_by_hand():
    net = _street()
    origins = _origins(net)
    existing = coverage_matrix(net, origins, np.array([[250.0, 0.0]]), 300.0)
    at = np.array([[1000.0, 0.0], [1700.0, 0.0], [550.0, 0.0]])
    candidates = coverage_matrix(net, origins, at, 300.0)
    places = np.array([10.0, 100.0, 50.0])
    # the facility at 250 m reaches 5 + 7 residents but has 8 places
    one = capacitated_covering(existing, np.array([8.0]), candidates, places, WEIGHT, k=1)
    assert one.covered_before == pytest.approx(8)
    # 1000 m reaches 3 + 4 + 6 = 13 but has 10 places; 1700 m reaches 9; 550 m reaches the 7
    # at 400 m, which frees 4 places at 250 m for the 5 at 100 m: it adds only 4
    assert one.sites == [0] and one.gains == pytest.approx([10]) and one.method == "exact"
    three = capacitated_covering(existing, np.array([8.0]), candidates, places, WEIGHT, k=3)
    assert sorted(three.sites) == [0, 1, 2] and three.covered_after == pytest.approx(31)
    assert three.gains == pytest.approx([10, 9, 4])
    # no limit (NaN places) is the uncapacitated model
    free = capacitated_covering(
        existing, np.array([np.nan]), candidates, np.full(3, np.nan), WEIGHT, k=2
    )
    plain = maximal_covering(existing, candidates, WEIGHT, k=2)
    assert free.covered_after == pytest.approx(plain.covered_after) == 34


def _instance(seed: int, n_origins: int = 90, n_candidates: int = 9):
    net = _grid(seed=seed)
    rng = np.random.default_rng(seed)
    origins = snap_points(net, rng.uniform(-20, 620, (n_origins, 2)))
    weight = rng.integers(0, 20, n_origins).astype(float)
    return net, origins, weight, rng.uniform(0, 600, (2, 2)), rng.uniform(0, 600, (n_candidates, 2))


def _dense(d, beyond: float | None = None) -> np.ndarray:
    """The distances as a matrix; pairs beyond the search radius get ``beyond`` (the radius)."""
    out = np.full(d.shape, d.limit_m if beyond is None else beyond)
    out[d.origin, d.point] = d.metres
    return out


@pytest.mark.parametrize(("seed", "k"), [(11, 1), (12, 2), (13, 3), (14, 4)])
def test_p_median_equals_brute_force(seed: int, k: int):
    net, origins, weight, existing_xy, cand_xy = _instance(seed)
    existing = site_distances(net, origins, existing_xy, 400.0)
    candidates = site_distances(net, origins, cand_xy, 400.0)
    choice = p_median(existing, candidates, weight, k=k)
    today = _dense(existing).min(axis=1)
    cand = _dense(candidates)
    best = min(
        weight @ np.minimum(today, cand[:, list(s)].min(axis=1))
        for s in itertools.combinations(range(cand.shape[1]), k)
    )
    assert choice.method == "exact" and choice.distance_after == pytest.approx(best)
    assert choice.distance_before == pytest.approx(weight @ today)
    assert choice.distance_before - sum(choice.savings) == pytest.approx(best)
    assert 0.0 <= choice.gap < 1.0


def _max_flow(cover: np.ndarray, weight: np.ndarray, places: np.ndarray) -> float:
    """Covered weight as a maximum flow: source → locations → sites in reach → sink."""
    g = nx.DiGraph()
    for i in np.flatnonzero(weight > 0):
        g.add_edge("s", ("o", i), capacity=float(weight[i]))
        for j in np.flatnonzero(cover[i]):
            g.add_edge(("o", i), ("f", j))  # no capacity attribute: unbounded
    for j in range(cover.shape[1]):
        if np.isfinite(places[j]):
            g.add_edge(("f", j), "t", capacity=float(places[j]))
        else:
            g.add_edge(("f", j), "t")
    return float(nx.maximum_flow_value(g, "s", "t")) if "t" in g and "s" in g else 0.0


@pytest.mark.parametrize(("seed", "k"), [(21, 1), (22, 2), (23, 3)])
def test_capacitated_covering_equals_brute_force_by_max_flow(seed: int, k: int):
    net, origins, weight, existing_xy, cand_xy = _instance(seed, n_candidates=8)
    existing = coverage_matrix(net, origins, existing_xy, 220.0)
    candidates = coverage_matrix(net, origins, cand_xy, 220.0)
    rng = np.random.default_rng(seed)
    existing_places = np.array([rng.integers(10, 60), np.nan])
    places = rng.integers(10, 80, 8).astype(float)
    choice = capacitated_covering(existing, existing_places, candidates, places, weight, k=k)
    e, c = existing.matrix.toarray(), candidates.matrix.toarray()
    before = _max_flow(e, weight, existing_places)
    best = max(
        _max_flow(np.hstack([e, c[:, list(s)]]), weight, np.r_[existing_places, places[list(s)]])
        for s in itertools.combinations(range(8), k)
    )
    assert choice.method == "exact"
    assert choice.covered_before == pytest.approx(before)
    assert choice.covered_after == pytest.approx(best)
    assert choice.covered_before + sum(choice.gains) == pytest.approx(best)
    # without time for the solver: the greedy sites, their exact value, a gap to a valid bound
    rushed = capacitated_covering(
        existing, existing_places, candidates, places, weight, k=k, time_limit_s=0.0
    )
    assert rushed.covered_after <= best + 1e-6
    assert rushed.covered_before + sum(rushed.gains) == pytest.approx(rushed.covered_after)
    if rushed.method == "greedy":
        true_gap = 1 - (rushed.covered_after - before) / (best - before)
        assert rushed.gap >= true_gap - 1e-9
    else:
        assert rushed.covered_after == pytest.approx(best)


spopt_locate = pytest.importorskip("spopt.locate", reason="spopt (test oracle) not installed")
pulp = pytest.importorskip("pulp")
# spopt 0.7 builds its models with PuLP 3.x calls that PuLP deprecates for 4.0
pulp_v4 = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


def _costs(existing, candidates, beyond: float | None = None) -> np.ndarray:
    return np.hstack([_dense(existing, beyond), _dense(candidates, beyond)])


@pulp_v4
@pytest.mark.parametrize(("seed", "k"), [(31, 1), (32, 2), (33, 3), (34, 4)])
def test_maximal_covering_equals_spopt_mclp(seed: int, k: int):
    net, origins, weight, existing_xy, cand_xy = _instance(seed, n_origins=120, n_candidates=15)
    existing = site_distances(net, origins, existing_xy, 250.0)
    candidates = site_distances(net, origins, cand_xy, 250.0)
    ours = maximal_covering(existing.within(250.0), candidates.within(250.0), weight, k=k)
    cost = _costs(existing, candidates, beyond=1e6)  # beyond the search: out of reach
    predefined = np.r_[np.ones(2), np.zeros(15)].astype(int)
    mclp = spopt_locate.MCLP.from_cost_matrix(
        cost, weight, 250.0, p_facilities=2 + k, predefined_facilities_arr=predefined
    )
    mclp = mclp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.covered_after == pytest.approx(mclp.problem.objective.value())


@pulp_v4
@pytest.mark.parametrize(("seed", "k"), [(41, 1), (42, 2), (43, 3), (44, 5)])
def test_p_median_equals_spopt_pmedian(seed: int, k: int):
    net, origins, weight, existing_xy, cand_xy = _instance(seed, n_origins=120, n_candidates=15)
    existing = site_distances(net, origins, existing_xy, 450.0)
    candidates = site_distances(net, origins, cand_xy, 450.0)
    ours = p_median(existing, candidates, weight, k=k)
    cost = _costs(existing, candidates)  # beyond the cut-off: the cut-off (penalty)
    predefined = np.r_[np.ones(2), np.zeros(15)].astype(int)
    pmedian = spopt_locate.PMedian.from_cost_matrix(
        cost, weight, p_facilities=2 + k, predefined_facilities_arr=predefined
    )
    pmedian = pmedian.solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.distance_after == pytest.approx(pmedian.problem.objective.value(), rel=1e-9)


@pytest.mark.parametrize(("seed", "k"), [(51, 2), (52, 3), (53, 4)])
def test_greedy_bound_holds_and_the_time_limit_falls_back(seed: int, k: int):
    """Without time for the solver the greedy sites come back with a gap to a valid upper
    bound (never below the true gap to the brute-force optimum)."""
    net, origins, weight, existing_xy, cand_xy = _instance(seed, n_candidates=10)
    existing = site_distances(net, origins, existing_xy, 400.0)
    candidates = site_distances(net, origins, cand_xy, 400.0)
    cand, today = _dense(candidates), _dense(existing).min(axis=1)
    subsets = list(itertools.combinations(range(10), k))
    best_walk = min(weight @ np.minimum(today, cand[:, list(s)].min(axis=1)) for s in subsets)
    rushed = p_median(existing, candidates, weight, k=k, time_limit_s=0.0)
    true_gap = 1 - (rushed.distance_before - rushed.distance_after) / (
        rushed.distance_before - best_walk
    )
    assert rushed.gap >= true_gap - 1e-9 and rushed.method in ("greedy", "exact")
    if rushed.method == "exact":  # proved by the bound alone
        assert rushed.distance_after == pytest.approx(best_walk)
    cover_e, cover_c = existing.within(250.0), candidates.within(250.0)
    covered = cover_e.matrix.toarray().any(axis=1)
    c = cover_c.matrix.toarray()
    best = max(weight[covered | c[:, list(s)].any(axis=1)].sum() for s in subsets)
    quick = maximal_covering(cover_e, cover_c, weight, k=k, time_limit_s=0.0)
    gain = quick.covered_after - quick.covered_before
    assert quick.gap >= 1 - gain / (best - quick.covered_before) - 1e-9
