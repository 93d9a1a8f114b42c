"""Benchmark of the accessibility surface: the demo's 17,329 cells of 100 m, per category.

Prints, median of the repeats: the surface of each category (one multi-source search for the
nearest facility plus one bounded search per facility for the gravity score) on the demo's
walking network, the whole surface, and what the per-quarter gravity sums
(:func:`sqe_geo.surface.surface_counts`) add to a pipeline run.

    python benchmarks/surface.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import sqe_geo
from sqe_geo.surface import study_surface, surface_counts


def _median(repeat: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    study = sqe_geo.load_study(sqe_geo.DEMO_STUDY)
    results = sqe_geo.run(study)  # builds the graph cache
    services = study.services
    assert services is not None
    cells = len(study_surface(study, ["food"]).grid.cells)
    print(f"{cells:,} cells")
    print("| category | facilities | s (median) |")
    print("|---|---|---|")
    for cat in dict.fromkeys(services["category"]):
        n = int((services["category"] == cat).sum())
        seconds = _median(args.repeat, lambda c=cat: study_surface(study, [c]))
        print(f"| {cat} | {n:,} | {seconds:.2f} |")
    print(f"all categories: {_median(args.repeat, lambda: study_surface(study)):.2f} s")
    origins, counts = results.origins, results.counts["quarter"]
    sums = _median(args.repeat, lambda: surface_counts(study, origins, counts))
    located = len(origins[max(origins)])
    print(f"per-quarter gravity sums ({located:,} residents' locations): {sums:.2f} s")
    print(f"whole pipeline run: {_median(args.repeat, lambda: sqe_geo.run(study)):.2f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
