"""Roll-up: counts are summed, ratios recomputed from sums, totals conserved."""

from __future__ import annotations

import pandas as pd
import pytest

from sqe_geo.config import AgeGroupsConfig
from sqe_geo.stats.aggregate import CITY_ID, roll_up
from sqe_geo.stats.evaluation import evaluate
from sqe_geo.stats.indicators import load_catalog


def test_ratios_come_from_summed_counts_not_means():
    quarters = pd.DataFrame(
        {"quarter_id": ["1", "2", "3"], "name": list("abc"), "planning_area": ["N", "N", "S"]}
    )
    counts = pd.DataFrame(
        {"total": [100, 900, 500], "older": [50, 90, 100]},
        index=pd.MultiIndex.from_product([["1", "2", "3"], [2020]], names=["q", "year"]),
    )
    levels = roll_up(counts, quarters)
    catalog = load_catalog().expand(AgeGroupsConfig().labels())
    north = evaluate(catalog, levels["planning_area"]).loc[("N", 2020)]
    # (50 + 90) / (100 + 900) = 14 %, not the mean of 50 % and 10 %
    assert north["share_older"] == pytest.approx(14.0)
    city = evaluate(catalog, levels["city"]).loc[(CITY_ID, 2020)]
    assert city["share_older"] == pytest.approx(240 / 1500 * 100)


def test_totals_are_conserved_on_the_demo(demo_results_ageing):
    counts = demo_results_ageing.counts
    for column in ("total", "older", "oldest_old", "young", "working_age"):
        for year in demo_results_ageing.years:
            q = counts["quarter"].xs(year, level="year")[column].sum()
            a = counts["planning_area"].xs(year, level="year")[column].sum()
            c = counts["city"].xs(year, level="year")[column].sum()
            assert q == a == c, (column, year)


def test_demo_city_share_older_2016_is_the_published_figure(demo_results_ageing):
    value = demo_results_ageing.values["city"].loc[(CITY_ID, 2016), "share_older"]
    assert value == pytest.approx(56_403 / 311_635 * 100, rel=1e-12)


def test_missing_values_stay_missing():
    quarters = pd.DataFrame({"quarter_id": ["1", "2"], "name": ["a", "b"], "planning_area": "P"})
    counts = pd.DataFrame(
        {"older": [float("nan"), float("nan")]},
        index=pd.MultiIndex.from_product([["1", "2"], [2020]]),
    )
    levels = roll_up(counts, quarters)
    assert levels["planning_area"]["older"].isna().all()
    assert levels["city"]["older"].isna().all()
