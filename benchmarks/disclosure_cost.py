"""Suppression cost of disclosure control: the share of published cells it withholds.

Prints one row per study: indicator values withheld / all values that exist, per level
and in total, and the run time of the whole pipeline. Studies: the demo (with
accessibility), the real 2016 Stadtteile (default rules, and a strict minimum count of
400 that makes many cells sensitive), and small generated studies full of 1s and 2s.

Usage: ``.venv/bin/python benchmarks/disclosure_cost.py [path/to/shared/karlsruhe]``.
Uses only the public API, so the same script measures an older checkout too.
``--scale 4 16`` instead times the suppression alone on the demo's counts replicated 4 and
16 times (108 and 432 quarters) and scaled down to 2–30 %, so that hundreds of cells are
small: a stress case for the linear programs.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import sqe_geo
from sqe_geo.config import DisclosureConfig

LEVELS = ("quarter", "planning_area", "city")


def _cost(results) -> dict[str, float]:
    out = {}
    withheld = total = 0
    for level in LEVELS:
        mask = results.suppressed[level]
        exists = results.values[level].notna() | mask
        w, n = int(mask.to_numpy().sum()), int(exists.to_numpy().sum())
        out[level] = w / n * 100 if n else 0.0
        withheld, total = withheld + w, total + n
    out["all"] = withheld / total * 100
    out["cells"] = withheld
    return out


def _rules(study, **rules):
    config = study.config.model_copy(update={"disclosure": DisclosureConfig(**rules)})
    return dataclasses.replace(study, config=config)


def _small(demo, seed: int, quarters: int = 9):
    rng = np.random.default_rng(seed)
    q = demo.quarters.iloc[:quarters].copy()
    q["planning_area"] = [f"P{a}" for a in rng.integers(0, 3, quarters)]
    d = demo.demographics[demo.demographics["quarter_id"].isin(q["quarter_id"])].copy()
    n = len(d)
    d["young"] = rng.integers(0, 6, n).astype(float)
    d["working_age"] = rng.integers(0, 25, n).astype(float)
    d["young_old"] = rng.integers(0, 4, n).astype(float)
    d["oldest_old"] = rng.integers(0, 3, n).astype(float)
    d["older"] = d["young_old"] + d["oldest_old"]
    d["total"] = d["young"] + d["working_age"] + d["older"]
    # the demo's findings about its own bands do not apply to these counts
    report = type(demo.report)([f for f in demo.report.findings if f.check != "bands_vs_total"])
    return dataclasses.replace(demo, quarters=q, demographics=d, report=report)


def _real_2016(karlsruhe: Path, folder: Path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_realdata_study import POPULATION, _write_study

    return sqe_geo.load_study(_write_study(karlsruhe, folder, POPULATION, "Stadtteilnummer"))


def scale(factors: list[int]) -> None:
    """Time withheld_counts on the demo's counts replicated ``factor`` times."""
    import pandas as pd

    from sqe_geo.stats.aggregate import roll_up
    from sqe_geo.stats.privacy import withheld_counts
    from sqe_geo.stats.value_masks import protected_variables

    demo = sqe_geo.run(sqe_geo.load_study(sqe_geo.DEMO_STUDY))
    variables = [v for v in protected_variables(demo.catalog) if v in demo.counts["quarter"]]
    base = demo.counts["quarter"]
    print(f"{'quarters':>8} {'withheld cells':>15} {'of cells':>9} {'seconds':>8}")
    for factor in factors:
        rng = np.random.default_rng(0)
        frames = []
        for r in range(factor):
            frame = base.copy()
            frame.index = frame.index.set_levels(
                [f"{u}_{r}" for u in frame.index.levels[0]], level=0
            )
            frames.append((frame * rng.uniform(0.02, 0.3)).round())
        quarter_counts = pd.concat(frames)
        units = sorted(set(quarter_counts.index.get_level_values(0)))
        quarters = pd.DataFrame(
            {
                "quarter_id": units,
                "name": units,
                "planning_area": [f"P{i % (factor * 2)}" for i in range(len(units))],
            }
        )
        counts = roll_up(quarter_counts, quarters)
        started = time.perf_counter()
        withheld = withheld_counts(counts, quarters, variables, 3)
        seconds = time.perf_counter() - started
        cells = withheld["quarter"]
        print(f"{len(units):8d} {int(cells.to_numpy().sum()):15d} {cells.size:9d} {seconds:8.1f}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--scale":
        scale([int(f) for f in sys.argv[2:]])
        return
    default = Path(__file__).resolve().parents[2] / "shared" / "karlsruhe"
    karlsruhe = (Path(sys.argv[1]) if len(sys.argv) > 1 else default).resolve()
    demo = sqe_geo.load_study(sqe_geo.DEMO_STUDY)
    cases = [("demo (accessibility)", _rules(demo), True)]
    if karlsruhe.is_dir():
        real = _real_2016(karlsruhe, Path(tempfile.mkdtemp()))
        cases += [
            ("real 2016, min_count 3", _rules(real), False),
            ("real 2016, min_count 400", _rules(real, min_count=400), False),
        ]
    cases += [(f"small generated #{s}", _rules(_small(demo, s)), False) for s in range(5)]
    print(f"{'study':28} {'quarter %':>10} {'area %':>8} {'city %':>8} {'all %':>7} "
          f"{'cells':>6} {'run s':>6}")  # fmt: skip
    for name, study, access in cases:
        started = time.perf_counter()
        results = sqe_geo.run(study, accessibility=access)
        seconds = time.perf_counter() - started
        c = _cost(results)
        print(
            f"{name:28} {c['quarter']:10.2f} {c['planning_area']:8.2f} {c['city']:8.2f} "
            f"{c['all']:7.2f} {c['cells']:6d} {seconds:6.1f}"
        )


if __name__ == "__main__":
    main()
