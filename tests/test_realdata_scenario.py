"""A scenario on the real 2016 Stadtteile: address points, OSM supermarkets (issue 10).

The real study of ``test_realdata_access`` (straight line × detour factor: the shared
files hold no walkable street network) with one supermarket added in Wolfartsweier, which
the OSM place list does not reach. Oracle: a run from scratch with the same services.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from test_realdata_access import _run

from sqe_geo.pipeline import run
from sqe_geo.scenario import run_scenario
from sqe_geo.scenario_file import Change, Scenario, apply_scenario
from sqe_geo.stats.aggregate import LEVELS

pytestmark = pytest.mark.realdata


def test_a_supermarket_in_wolfartsweier(karlsruhe: Path, tmp_path: Path):
    base = _run(karlsruhe, tmp_path)
    quarters = base.study.quarters.set_index("name")
    where = quarters.geometry["Wolfartsweier"].representative_point()
    scenario = Scenario(
        "Supermarkt Wolfartsweier",
        (Change("add", 1, "neu-1", "food", "Markt", (where.x, where.y)),),
    )
    result = run_scenario(base, scenario)
    table = result.comparison["quarter"]
    row = table[(table["name"] == "Wolfartsweier") & (table["indicator"] == "coverage_food_older")]
    assert float(row["after"].iloc[0]) > float(row["before"].iloc[0])
    assert result.changed == ["food"]
    full = run(
        dataclasses.replace(base.study, services=apply_scenario(base.study.services, scenario))
    )
    for level in LEVELS:
        pd.testing.assert_frame_equal(result.after.values[level], full.values[level])
