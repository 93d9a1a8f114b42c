"""Benchmark of scenarios: time to updated tables after the base run (issue 10, part 1).

On the demo: the base run (warm walking-graph cache), then scenarios of one change each —
a pharmacy added, a meeting place added, a care home added (capacity-bound: E2SFCA is
recomputed), a pharmacy removed — and the demo's own three-change scenario. For each, the
time of :func:`sqe_geo.scenario.run_scenario` (recompute the changed categories, evaluate,
disclosure control, compare) against a full run of the study with the scenario's services
(nothing reused), medians of the repeats, and their ratio. Both run in this one process on
one thread of numpy/scipy work each (no parallel code on either side).

    python benchmarks/scenario.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import sqe_geo
from sqe_geo.pipeline import run
from sqe_geo.scenario import run_scenario
from sqe_geo.scenario_file import Change, Scenario, apply_scenario, read_scenario, scenario_path

#: Oberreut, west (EPSG:25832): a place a planner might pick.
AT = (452778.4, 5426689.4)


def _scenarios(study: sqe_geo.Study) -> dict[str, Scenario]:
    config, services = study.config, study.services
    assert services is not None
    demo = next(iter(config.scenarios))
    return {
        "add 1 pharmacy": Scenario("p", (Change("add", 1, "n1", "pharmacy", "n", AT),)),
        "add 1 meeting place": Scenario("m", (Change("add", 1, "n1", "meeting_place", "n", AT),)),
        "add 1 care home (80 places, E2SFCA)": Scenario(
            "c", (Change("add", 1, "n1", "care_home", "n", AT, 80.0),)
        ),
        "remove 1 pharmacy": Scenario("r", (Change("remove", 1, "pharmacy-0003", "pharmacy", ""),)),
        "demo scenario (3 changes)": read_scenario(scenario_path(config, demo), config, services),
    }


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    study = sqe_geo.load_study(sqe_geo.DEMO_STUDY)
    run(study)  # warm the walking-graph cache
    base_s = _median(lambda: run(study), args.repeat)
    base = run(study)
    print(f"load before: {os.getloadavg()}; repeats: {args.repeat}")
    print(f"base run of the demo (warm graph cache): median {base_s:.2f} s\n")
    print("| scenario | categories recomputed | scenario s | full rerun s | ratio |")
    print("|---|---|---:|---:|---:|")
    for label, scenario in _scenarios(study).items():
        assert study.services is not None
        services = apply_scenario(study.services, scenario)
        changed = dataclasses.replace(study, services=services)
        scenario_s = _median(lambda s=scenario: run_scenario(base, s), args.repeat)
        full_s = _median(lambda c=changed: run(c), args.repeat)
        print(
            f"| {label} | {', '.join(scenario.categories)} | {scenario_s:.2f} | "
            f"{full_s:.2f} | {full_s / scenario_s:.1f}× |"
        )
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
