"""Benchmark of best new locations: 500 candidates × 20,000 residents' locations, k = 1…10.

On the demo's walking network (Karlsruhe, synthetic streets): 20,000 locations and 500
candidate sites drawn at random along the streets (up to 40 m off them, seeded), weights
1–30 older residents, the demo's 65 pharmacies locked in, threshold 500 m. Prints the time
of the coverage matrices (one bounded Dijkstra per point) and, per k, the time of the exact
solve (HiGHS via scipy.optimize.milp) with the greedy answer's gap, median of the repeats —
for the maximal covering model and the p-median (distances searched to the cut-off of
1,000 m, twice the threshold, walks beyond it counted as 1,000 m).

    python benchmarks/locations.py [--repeat 3] [--models coverage median]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import shapely

import sqe_geo
from sqe_geo.access.locations import maximal_covering, site_distances
from sqe_geo.access.p_median import p_median
from sqe_geo.access.snapping import snap_points
from sqe_geo.access.study_origins import study_network
from sqe_geo.quality import QualityReport


def _points_along(network, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points on random edges (weighted by length), up to 40 m off the street."""
    pick = rng.choice(network.n_edges, size=n, p=network.edge_length / network.edge_length.sum())
    t = rng.uniform(0, 1, n)[:, None]
    xy = network.node_xy[network.edge_u[pick]] * (1 - t) + network.node_xy[network.edge_v[pick]] * t
    return xy + rng.uniform(-40, 40, (n, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["coverage", "median"])
    args = parser.parse_args()
    study = sqe_geo.load_study(sqe_geo.DEMO_STUDY)
    config = study.config
    network = study_network(config.network, config.analysis_crs, QualityReport())
    assert network is not None and study.services is not None
    rng = np.random.default_rng(2026)
    origins_xy = _points_along(network, 20_000, rng)
    candidates_xy = _points_along(network, 500, rng)
    weight = rng.integers(1, 31, 20_000).astype(float)
    pharmacies = study.services.query("category == 'pharmacy'").geometry
    existing_xy = shapely.get_coordinates(pharmacies.to_numpy())
    print(f"network: {network.n_nodes} nodes, {network.n_edges} edges; load {os.getloadavg()}")
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        origins = snap_points(network, origins_xy)
        existing = site_distances(network, origins, existing_xy, 1000.0)
        candidates = site_distances(network, origins, candidates_xy, 1000.0)
        times.append(time.perf_counter() - started)
    print(
        f"distances up to 1,000 m (20,000 locations, 65 + 500 points, "
        f"{candidates.metres.size:,} candidate pairs): median {statistics.median(times):.2f} s"
    )
    if "coverage" in args.models:
        _coverage_rows(existing, candidates, weight, args.repeat)
    if "median" in args.models:
        _median_rows(existing, candidates, weight, args.repeat)
    print(f"load after: {os.getloadavg()}")


def _coverage_rows(existing, candidates, weight, repeat: int) -> None:
    existing, candidates = existing.within(500.0), candidates.within(500.0)
    print("\nmaximal covering, threshold 500 m")
    print("| k | method | covered before | covered after | greedy gap | solve s (median) |")
    print("|---|---|---|---|---|---|")
    for k in range(1, 11):
        solve = []
        for _ in range(repeat):
            started = time.perf_counter()
            choice = maximal_covering(existing, candidates, weight, k)
            solve.append(time.perf_counter() - started)
        print(
            f"| {k} | {choice.method} | {choice.covered_before:,.0f} | "
            f"{choice.covered_after:,.0f} | {choice.gap:.4%} | {statistics.median(solve):.2f} |"
        )


def _median_rows(existing, candidates, weight, repeat: int) -> None:
    print("\np-median, cut-off 1,000 m (penalty distance)")
    print("| k | method | mean walk before m | mean walk after m | greedy gap | solve s (median) |")
    print("|---|---|---|---|---|---|")
    for k in range(1, 11):
        solve = []
        for _ in range(repeat):
            started = time.perf_counter()
            choice = p_median(existing, candidates, weight, k)
            solve.append(time.perf_counter() - started)
        before = choice.distance_before / choice.weight
        after = choice.distance_after / choice.weight
        print(
            f"| {k} | {choice.method} | {before:.1f} | {after:.1f} | "
            f"{choice.gap:.4%} | {statistics.median(solve):.2f} |"
        )


if __name__ == "__main__":
    main()
