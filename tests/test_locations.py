"""Best new locations (sqe_geo/access/locations.py): coverage against networkx, the
optimiser against brute force over every set of sites, and a hand-computed street."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from test_accessibility import oracle_graph

from sqe_geo._errors import InputDataError
from sqe_geo.access.locations import coverage_matrix, maximal_covering
from sqe_geo.access.network import build_network
from sqe_geo.access.snapping import snap_points

CRS = "EPSG:25832"


def _street():
    line = shapely.LineString([(0, 0), (2000, 0)])
    return build_network(gpd.GeoDataFrame(geometry=[line], crs=CRS))


def test_one_street_by_hand():
    net = _street()
    # older residents at 100, 400, 900, 1000, 1100, 1800 m along the street (10 m off it)
    xs = np.array([100, 400, 900, 1000, 1100, 1800], dtype=float)
    weight = np.array([5, 7, 3, 4, 6, 9], dtype=float)
    origins = snap_points(net, np.column_stack([xs, np.full(xs.size, 10.0)]))
    existing = coverage_matrix(net, origins, np.array([[250.0, 0.0]]), 300.0)
    candidates = coverage_matrix(net, origins, np.array([[1000.0, 0.0], [1700.0, 0.0]]), 300.0)
    # the existing one (250 m) covers 100 and 400 (10 m leg + 150 m): 12 covered already
    choice = maximal_covering(existing, candidates, weight, k=1)
    assert choice.covered_before == 12.0
    # at 1000 m: 900, 1000, 1100 (3 + 4 + 6 = 13); at 1700 m: 1800 (9) -> 1000 m wins
    assert choice.sites == [0] and choice.gains == [13.0]
    assert choice.covered_after == 25.0 and choice.method == "exact" and choice.gap == 0.0
    both = maximal_covering(existing, candidates, weight, k=2)
    assert both.sites == [0, 1] and both.covered_after == 34.0


def _grid(n=6, spacing=120.0, seed=0):
    rng = np.random.default_rng(seed)
    xy = {(i, j): (i * spacing + rng.uniform(-25, 25), j * spacing + rng.uniform(-25, 25))
          for i in range(n) for j in range(n)}  # fmt: skip
    lines = [
        shapely.LineString([p, xy[q]])
        for (i, j), p in xy.items()
        for q in ((i + 1, j), (i, j + 1))
        if q in xy
    ]
    return build_network(gpd.GeoDataFrame(geometry=lines, crs=CRS))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coverage_equals_networkx(seed: int):
    net = _grid(seed=seed)
    rng = np.random.default_rng(seed)
    origins_xy = rng.uniform(-20, 620, (80, 2))
    points_xy = rng.uniform(0, 600, (10, 2))
    o_snap = snap_points(net, origins_xy)
    p_snap = snap_points(net, points_xy)
    coverage = coverage_matrix(net, o_snap, points_xy, 260.0).matrix.toarray()
    g = oracle_graph(net, {"o": o_snap, "p": p_snap})
    for j in range(points_xy.shape[0]):
        dist = nx.single_source_dijkstra_path_length(g, ("p", j), cutoff=260.0, weight="weight")
        expected = [dist.get(("o", i), np.inf) <= 260.0 + 1e-9 for i in range(len(o_snap))]
        assert coverage[:, j].tolist() == expected


@pytest.mark.parametrize(("seed", "k"), [(4, 1), (5, 2), (6, 3), (7, 4)])
def test_exact_answer_equals_brute_force(seed: int, k: int):
    net = _grid(seed=seed)
    rng = np.random.default_rng(seed)
    origins = snap_points(net, rng.uniform(-20, 620, (120, 2)))
    weight = rng.integers(0, 20, 120).astype(float)
    existing = coverage_matrix(net, origins, rng.uniform(0, 600, (2, 2)), 200.0)
    candidates = coverage_matrix(net, origins, rng.uniform(0, 600, (11, 2)), 200.0)
    choice = maximal_covering(existing, candidates, weight, k=k)
    covered = existing.matrix.toarray().any(axis=1)
    cand = candidates.matrix.toarray()
    best = max(
        weight[covered | cand[:, list(sites)].any(axis=1)].sum()
        for sites in itertools.combinations(range(cand.shape[1]), k)
    )
    assert choice.method == "exact"
    assert choice.covered_after == pytest.approx(best)
    assert choice.covered_before == pytest.approx(weight[covered].sum())
    # the gains of the chosen sites add up to what they cover; the greedy gap is >= 0
    assert choice.covered_before + sum(choice.gains) == pytest.approx(best)
    assert 0.0 <= choice.gap < 1.0


def test_no_candidate_or_no_site_is_an_error():
    net = _street()
    origins = snap_points(net, np.array([[100.0, 0.0]]))
    existing = coverage_matrix(net, origins, np.zeros((0, 2)), 300.0)
    candidates = coverage_matrix(net, origins, np.array([[100.0, 0.0]]), 300.0)
    with pytest.raises(InputDataError, match="at least one site"):
        maximal_covering(existing, candidates, np.ones(1), k=0)
