"""Counts are counts: changes compare the same quarters, base_year must exist, fractions stay."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import sqe_geo
from sqe_geo._errors import StudyConfigError
from sqe_geo.config import AgeGroupsConfig
from sqe_geo.outputs.export import export_table
from sqe_geo.stats.aggregate import CITY_ID, roll_up
from sqe_geo.stats.evaluation import evaluate, paired_change_counts
from sqe_geo.stats.indicators import load_catalog

QUARTERS = pd.DataFrame(
    {"quarter_id": ["A", "B", "C"], "name": ["A", "B", "C"], "planning_area": ["N", "N", "S"]}
)


def counts_with_a_gap() -> pd.DataFrame:
    # B has no 2023 row, C no 2016 row: a planning area must not compare {A, B} with {A}
    index = pd.MultiIndex.from_tuples(
        [("A", 2016), ("A", 2023), ("B", 2016), ("B", 2023), ("C", 2016), ("C", 2023)],
        names=["quarter_id", "year"],
    )
    return pd.DataFrame({"older": [100.0, 110.0, 50.0, np.nan, np.nan, 40.0]}, index=index)


def test_change_compares_the_same_quarters_by_hand():
    catalog = load_catalog().expand(AgeGroupsConfig().labels())
    catalog = type(catalog)([i for i in catalog if i.id.startswith("change_older")])
    quarter_counts = counts_with_a_gap()
    counts = roll_up(quarter_counts, QUARTERS)
    paired, dropped = paired_change_counts(
        quarter_counts,
        QUARTERS.set_index("quarter_id")["planning_area"],
        CITY_ID,
        base_year=2016,
        columns=["older"],
    )
    assert sorted(dropped) == [("B", 2023, "older"), ("C", 2023, "older")]
    values = {}
    for level, table in paired.items():
        values[level] = evaluate(catalog, counts[level].join(table), base_year=2016)
    # N: only A is in both years: 110 − 100 = +10 (+10 %); without pairing 110 − 150 = −40
    assert values["planning_area"].loc[("N", 2023), "change_older_abs"] == pytest.approx(10)
    assert values["planning_area"].loc[("N", 2023), "change_older_pct"] == pytest.approx(10)
    # S: C has no base year: no change at all
    assert np.isnan(values["planning_area"].loc[("S", 2023), "change_older_abs"])
    # city: A only as well
    assert values["city"].loc[(CITY_ID, 2023), "change_older_abs"] == pytest.approx(10)
    assert values["quarter"].loc[("A", 2023), "change_older_abs"] == pytest.approx(10)
    assert np.isnan(values["quarter"].loc[("B", 2023), "change_older_abs"])


def test_base_year_missing_from_the_data_is_an_error_listing_the_years():
    catalog = load_catalog().expand(AgeGroupsConfig().labels())
    counts = counts_with_a_gap()
    counts.index = counts.index.set_names(["unit_id", "year"])
    with pytest.raises(StudyConfigError, match=r"base_year = 2019 .* years present: 2016, 2023"):
        evaluate(catalog, counts, base_year=2019)


def test_the_pipeline_refuses_a_missing_base_year(demo_study):
    config = demo_study.config.model_copy(update={"base_year": 2019})
    with pytest.raises(StudyConfigError, match="2016, 2023"):
        sqe_geo.run(dataclasses.replace(demo_study, config=config), accessibility=False)


def test_fractional_counts_are_kept_and_reported(demo_study):
    demographics = demo_study.demographics.copy()
    groups = [c for c in demographics.columns if c not in ("quarter_id", "year")]
    demographics[groups] = demographics[groups].astype(float)
    first = demographics.index[0]
    demographics.loc[first, ["total", "older"]] += 0.4
    config = demo_study.config.model_copy(
        update={"disclosure": demo_study.config.disclosure.model_copy(update={"enabled": False})}
    )
    study = dataclasses.replace(demo_study, demographics=demographics, config=config)
    results = sqe_geo.run(study, accessibility=False)
    quarter, year = demographics.loc[first, ["quarter_id", "year"]]
    finding = {f.check: f for f in results.report.findings}["fractional_counts"]
    assert f"{quarter} ({year})" in finding.items
    value = results.values["quarter"].loc[(quarter, year), "population_older"]
    assert value == pytest.approx(demo_study.demographics.loc[first, "older"] + 0.4)
    city = results.counts["city"].loc[(CITY_ID, year), "older"]
    assert city == pytest.approx(
        demo_study.demographics.query("year == @year")["older"].sum() + 0.4
    )
    table = export_table(results, "quarter", indicators=["population_older"], years=[year])
    column = next(c for c in table.columns if c.endswith("(Personen)"))
    # x.4 persons are shown rounded half up (never cut off), and the sums keep the fraction
    assert int(table.set_index("ID").loc[quarter, column]) == int(np.floor(value + 0.5))


def test_the_pipeline_marks_changes_without_some_quarters_as_partial(demo_study):
    demographics = demo_study.demographics
    first = demographics[demographics["year"] == 2023].index[0]
    quarter = demographics.loc[first, "quarter_id"]
    study = dataclasses.replace(demo_study, demographics=demographics.drop(index=first))
    results = sqe_geo.run(study, accessibility=False)
    area = results.units["quarter"].set_index("unit_id").loc[quarter, "planning_area"]
    counts = demographics.set_index(["quarter_id", "year"])["older"]
    members = results.units["quarter"].query("planning_area == @area and unit_id != @quarter")
    expected = sum(counts[(q, 2023)] - counts[(q, 2016)] for q in members["unit_id"])
    value = results.values["planning_area"].loc[(area, 2023), "change_older_abs"]
    if not results.suppressed["planning_area"].loc[(area, 2023), "change_older_abs"]:
        assert value == pytest.approx(expected)
    status = results.status_of("planning_area").loc[(area, 2023)]
    assert status["change_older_abs"] == "partial"
    assert status["share_older"] == ""
    assert results.status_of("city").loc[(CITY_ID, 2023), "change_older_pct"] == "partial"
    items = {f.check: f for f in results.report.findings}["change_unpaired_quarters"].items
    assert f"{quarter} (2023): older" in items
