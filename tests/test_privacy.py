"""Tests of disclosure control: primary and secondary suppression, derived values, output.

Besides hand-made tables, random small tables are audited by an independent oracle: for
every withheld count, linear programming over the published cells, the hierarchy sums and
the attacker's knowledge that a withheld count is at least 1 gives the range of values it
can take; a range of width 0 would be a disclosure. (The hierarchy constraints are totally
unimodular, so the LP bounds are the integer bounds.)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import sqe_geo
from sqe_geo.config import AgeGroupsConfig, DisclosureConfig
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport
from sqe_geo.stats.aggregate import CITY_ID, LEVELS, roll_up
from sqe_geo.stats.evaluation import evaluate
from sqe_geo.stats.indicators import Catalog, Indicator, load_catalog
from sqe_geo.stats.privacy import (
    DISCLOSURE_NOTE_DE,
    DISCLOSURE_NOTE_EN,
    apply_disclosure_control,
    disclosure_note,
    format_value,
    format_values,
    withheld_counts,
)
from sqe_geo.stats.report_protection import AGE_GAP, protect_report
from sqe_geo.stats.value_masks import person_count_inputs, protected_variables
from sqe_geo.study import Study

CATALOG = load_catalog().expand(AgeGroupsConfig().labels())
DEFAULT = DisclosureConfig()
AGE_COLUMNS = ["total", "young", "working_age", "older", "young_old", "oldest_old"]


# --- helpers --------------------------------------------------------------------------------


def make_quarters(areas: dict[str, list[str]]) -> pd.DataFrame:
    """Quarter table from ``{planning area: [quarter ids]}``."""
    rows = [(q, q, a) for a, qs in areas.items() for q in qs]
    return pd.DataFrame(rows, columns=["quarter_id", "name", "planning_area"])


def age_counts(rows: dict[tuple[str, int], tuple[int, int, int, int]]) -> pd.DataFrame:
    """Quarter counts from ``{(quarter, year): (young, working_age, young_old, oldest_old)}``."""
    records = []
    for (q, y), (young, working, young_old, oldest_old) in rows.items():
        older = young_old + oldest_old
        total = young + working + older
        records.append((q, y, total, young, working, older, young_old, oldest_old))
    frame = pd.DataFrame(records, columns=["quarter_id", "year", *AGE_COLUMNS])
    return frame.set_index(["quarter_id", "year"]).astype(float)


def tables(quarter_counts: pd.DataFrame, quarters: pd.DataFrame, catalog: Catalog = CATALOG):
    """Counts and values at every level, as the pipeline builds them."""
    counts = roll_up(quarter_counts, quarters)
    values = {level: evaluate(catalog, counts[level]) for level in LEVELS}
    return counts, values


@dataclasses.dataclass
class Case:
    """Tables before and after disclosure control."""

    counts: dict
    values: dict
    out: dict
    suppressed: dict

    def check(self, catalog: Catalog, quarters: pd.DataFrame, config: DisclosureConfig) -> None:
        assert_protected(
            self.counts, self.values, self.out, self.suppressed, catalog, quarters, config
        )


def controlled(quarter_counts, quarters, catalog=CATALOG, config=DEFAULT) -> Case:
    counts, values = tables(quarter_counts, quarters, catalog)
    out, suppressed = apply_disclosure_control(counts, values, catalog, quarters, config)
    return Case(counts, values, out, suppressed)


def count_indicators(catalog: Catalog) -> dict[str, str]:
    """Count column -> id of the ``count`` indicator publishing it."""
    return {i.inputs["value"]: i.id for i in catalog if i.kind == "count"}


def recoverable(
    quarter: pd.Series, area: pd.Series, city: float, area_of: pd.Series, lowest: float = 1.0
) -> list[str]:
    """Withheld cells (NaN) whose value published cells and the hierarchy pin down.

    ``quarter`` and ``area`` are published values of one variable and year (NaN =
    withheld); withheld counts are known to be at least ``lowest`` (1 person; 0 for
    fractional estimates).
    """
    unknown = [("q", q) for q in quarter.index[quarter.isna()]]
    unknown += [("a", a) for a in area.index[area.isna()]]
    unknown += [("c", CITY_ID)] if math.isnan(city) else []
    if not unknown:
        return []
    pos = {u: k for k, u in enumerate(unknown)}
    rows, rhs = [], []

    def relation(total: tuple[str, str, float], parts: list[tuple[str, str, float]]) -> None:
        row, b = np.zeros(len(unknown)), 0.0
        for (kind, name, value), coef in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if math.isnan(value):
                row[pos[(kind, name)]] += coef
            else:
                b -= coef * value
        if row.any():
            rows.append(row)
            rhs.append(b)
        else:
            assert abs(b) < 1e-6, "published cells do not add up"

    for a in area.index:
        members = area_of.index[area_of == a]
        relation(("a", a, area[a]), [("q", q, quarter[q]) for q in members])
    relation(("c", CITY_ID, city), [("a", a, area[a]) for a in area.index])
    found = []
    for u, k in pos.items():
        c = np.zeros(len(unknown))
        c[k] = 1.0
        bounds = [(lowest, None)] * len(unknown)
        low = linprog(c, A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
        assert low.status == 0, "the true table must be feasible"
        if high.status == 0 and (-high.fun) - low.fun < 0.5:
            found.append(f"{u[1]}={low.fun:g}")
    return found


def assert_protected(counts, values, out, suppressed, catalog, quarters, config) -> None:
    """The published tables satisfy every property of the rules."""
    area_of = quarters.set_index("quarter_id")["planning_area"]
    published = count_indicators(catalog)
    base = min(counts["quarter"].index.get_level_values("year"))
    for level in LEVELS:
        before, after, mask = values[level], out[level], suppressed[level]
        # Withheld cells are exactly those marked, and only values that existed are marked.
        assert (after.isna() == (before.isna() | mask)).all().all()
        assert not (mask & before.isna()).any().any()
        # Published values are unchanged.
        pd.testing.assert_frame_equal(after[~mask], before[~mask])
        for ind_id in published.values():
            shown = after[ind_id].dropna()
            # (a) no published count in (0, min_count)
            assert not ((shown > 0) & (shown < config.min_count)).any(), (level, ind_id)
        # Derived values are published only where every person count they use is published
        # by its count indicator, so they disclose nothing beyond the counts.
        count_shown = {
            column: (after[ind_id].notna() | counts[level][column].isna()).to_numpy()
            for column, ind_id in published.items()
        }
        units = after.index.get_level_values("unit_id")
        rows = pd.Series(np.arange(len(units)), index=units)
        base_row = rows[after.index.get_level_values("year") == base].reindex(units).to_numpy()
        for ind in catalog:
            shown = after[ind.id].notna().to_numpy()
            if ind.denominator is not None and ind.kind != "change_pct":
                assert (
                    counts[level][ind.denominator].to_numpy()[shown] >= config.min_denominator
                ).all()
            for column in person_count_inputs(ind):
                if column not in published or ind.kind == "count":
                    continue
                assert not (shown & ~count_shown[column]).any(), (level, ind.id, column)
                if ind.kind in ("change_abs", "change_pct"):
                    has_base = ~np.isnan(base_row)
                    at_base = count_shown[column][np.where(has_base, base_row, 0).astype(int)]
                    assert not (shown & has_base & ~at_base).any(), (level, ind.id)
    # (b) no sensitive count (0 < x < min_count) is recoverable through the hierarchy. A
    # secondary cell may be (it is not sensitive), and a zero may be withheld as a partner.
    # The full audit over all relations is tests/test_disclosure_audit.py.
    years = sorted(set(counts["quarter"].index.get_level_values("year")))
    for column, ind_id in published.items():
        for year in years:
            q = out["quarter"][ind_id].xs(year, level="year")
            a = out["planning_area"][ind_id].xs(year, level="year")
            c = out["city"][ind_id].xs(year, level="year").iloc[0]
            truth = {
                **counts["quarter"][column].xs(year, level="year").to_dict(),
                **counts["planning_area"][column].xs(year, level="year").to_dict(),
                CITY_ID: counts["city"][column].xs(year, level="year").iloc[0],
            }
            quarter_truth = counts["quarter"][column].xs(year, level="year").dropna()
            whole = bool(np.all(quarter_truth == np.round(quarter_truth)))
            found = recoverable(q, a, c, area_of.loc[q.index], 1.0 if whole else 0.0)
            sensitive = [f for f in found if 0 < truth[f.split("=")[0]] < config.min_count]
            assert not sensitive, (ind_id, year, sensitive)


# --- hand-made examples ---------------------------------------------------------------------

QUARTERS = make_quarters({"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]})


def example(**overrides: tuple[int, int, int, int]) -> pd.DataFrame:
    base = {
        "a1": (20, 60, 18, 2),  # 2 persons 80+: withheld
        "a2": (25, 70, 15, 5),  # smallest other non-zero 80+ count in A: secondary
        "a3": (40, 200, 30, 40),
        "b1": (30, 90, 20, 30),
        "b2": (35, 80, 25, 25),
    }
    base.update(overrides)
    return age_counts({(q, 2023): v for q, v in base.items()})


def test_small_count_withheld_with_share_and_secondary_cell():
    case = controlled(example(), QUARTERS)
    q = case.suppressed["quarter"].xs(2023, level="year")
    assert q.loc["a1", "population_oldest_old"]  # primary: 2 persons 80+
    assert q.loc["a1", "share_oldest_old"]  # the share would give the 2 back
    assert q.loc["a1", "oldest_old_ratio"] and q.loc["a1", "greying_index"]
    assert q.loc["a2", "population_oldest_old"]  # secondary: A's total minus a3 would give a1
    assert q.loc["a2", "share_oldest_old"]  # share × published total would give a2 back
    assert not q.loc["a3", "population_oldest_old"]
    assert not q.loc[["b1", "b2"], "population_oldest_old"].any()
    assert not q["population"].any() and not q["population_older"].any()
    assert not q.loc["a1", "share_older"]  # other variables are not affected
    assert math.isnan(case.out["quarter"].loc[("a1", 2023), "population_oldest_old"])
    assert math.isnan(case.out["quarter"].loc[("a2", 2023), "population_oldest_old"])
    assert not case.suppressed["planning_area"].any().any()
    assert not case.suppressed["city"].any().any()
    case.check(CATALOG, QUARTERS, DEFAULT)


def test_ratio_with_small_denominator_withheld():
    # a3: 8 of working age -> old-age and youth dependency withheld; counts are shown.
    case = controlled(example(a3=(40, 8, 30, 40)), QUARTERS)
    row = case.suppressed["quarter"].loc[("a3", 2023)]
    assert row["old_age_dependency"] and row["youth_dependency"]
    assert not row["population_older"] and not row["share_older"]
    assert case.out["quarter"].loc[("a3", 2023), "population_older"] == 70
    # min_denominator is configurable
    relaxed = controlled(
        example(a3=(40, 8, 30, 40)), QUARTERS, config=DisclosureConfig(min_denominator=5)
    )
    assert not relaxed.suppressed["quarter"].loc[("a3", 2023), "old_age_dependency"]


def test_zero_counts_are_shown():
    case = controlled(example(a1=(20, 60, 18, 0)), QUARTERS)
    assert case.out["quarter"].loc[("a1", 2023), "population_oldest_old"] == 0
    assert case.out["quarter"].loc[("a1", 2023), "share_oldest_old"] == 0
    assert not case.suppressed["quarter"].any().any()


def test_already_missing_values_are_not_marked():
    # b1 has no residents: its shares are NaN (zero base) but not "withheld".
    case = controlled(example(b1=(0, 0, 0, 0)), QUARTERS)
    assert math.isnan(case.values["quarter"].loc[("b1", 2023), "share_older"])
    assert math.isnan(case.out["quarter"].loc[("b1", 2023), "share_older"])
    assert not case.suppressed["quarter"].loc[("b1", 2023)].any()
    assert case.out["quarter"].loc[("b1", 2023), "population"] == 0


def test_two_ones_in_an_area_are_not_recoverable():
    # a1 and a2 both 1: the area total minus a3 is 2, so both would be known to be 1.
    data = example(a1=(20, 60, 18, 1), a2=(25, 70, 15, 1))
    case = controlled(data, QUARTERS)
    q = case.suppressed["quarter"].xs(2023, level="year")["population_oldest_old"]
    assert q[["a1", "a2", "a3"]].all()
    case.check(CATALOG, QUARTERS, DEFAULT)


def test_single_quarter_area_moves_protection_to_the_city():
    quarters = make_quarters({"A": ["a1", "a2"], "B": ["b1", "b2"], "C": ["c1"]})
    data = age_counts(
        {
            ("a1", 2023): (10, 50, 10, 30),
            ("a2", 2023): (10, 50, 10, 40),
            ("b1", 2023): (10, 50, 10, 4),
            ("b2", 2023): (10, 50, 10, 20),
            ("c1", 2023): (10, 50, 10, 2),
        }
    )
    case = controlled(data, quarters)
    area = case.suppressed["planning_area"].xs(2023, level="year")["population_oldest_old"]
    quarter = case.suppressed["quarter"].xs(2023, level="year")["population_oldest_old"]
    # C = c1 = 2 is withheld; B (24) is the smallest other area, and within B the smallest
    # quarter b1 is withheld so that B cannot be recomputed from its quarters.
    assert area.to_dict() == {"A": False, "B": True, "C": True}
    assert quarter.to_dict() == {"a1": False, "a2": False, "b1": True, "b2": False, "c1": True}
    assert not case.suppressed["city"].any().any()
    case.check(CATALOG, quarters, DEFAULT)


def test_ones_in_single_quarter_areas_are_protected_at_the_city_level():
    # A = a1 = 1 and B = b1 = 1: the city minus C would show both to be 1. C is withheld
    # with its smallest quarter, not the city total.
    quarters = make_quarters({"A": ["a1"], "B": ["b1"], "C": ["c1", "c2"]})
    data = age_counts(
        {
            ("a1", 2023): (10, 50, 10, 1),
            ("b1", 2023): (10, 50, 10, 1),
            ("c1", 2023): (10, 50, 10, 5),
            ("c2", 2023): (10, 50, 10, 7),
        }
    )
    case = controlled(data, quarters)
    area = case.suppressed["planning_area"].xs(2023, level="year")["population_oldest_old"]
    quarter = case.suppressed["quarter"].xs(2023, level="year")["population_oldest_old"]
    assert area.to_dict() == {"A": True, "B": True, "C": True}
    assert quarter.to_dict() == {"a1": True, "b1": True, "c1": True, "c2": False}
    assert not case.suppressed["city"]["population_oldest_old"].any()
    case.check(CATALOG, quarters, DEFAULT)


def test_changes_follow_both_years():
    data = age_counts(
        {
            ("a1", 2016): (20, 60, 18, 2),
            ("a2", 2016): (25, 70, 15, 5),
            ("a3", 2016): (40, 200, 30, 40),
            ("b1", 2016): (30, 90, 20, 30),
            ("b2", 2016): (35, 80, 25, 25),
            ("a1", 2023): (20, 60, 18, 9),
            ("a2", 2023): (25, 70, 15, 8),
            ("a3", 2023): (40, 200, 30, 41),
            ("b1", 2023): (30, 90, 20, 31),
            ("b2", 2023): (35, 80, 25, 26),
        }
    )
    case = controlled(data, QUARTERS)
    row = case.suppressed["quarter"].loc[("a1", 2023)]
    # 9 persons 80+ in 2023 are shown, but the change from the withheld 2016 count is not.
    assert not row["population_oldest_old"]
    assert row["change_oldest_old_abs"] and row["change_oldest_old_pct"]
    # The base-year rows of changes are NaN anyway and are not marked.
    assert not case.suppressed["quarter"].xs(2016, level="year")["change_oldest_old_abs"].any()
    case.check(CATALOG, QUARTERS, DEFAULT)
    # An explicit base year gives the same result as the inferred one.
    _, again = apply_disclosure_control(
        case.counts, case.values, CATALOG, QUARTERS, DEFAULT, base_year=2016
    )
    for level in LEVELS:
        pd.testing.assert_frame_equal(again[level], case.suppressed[level])


def test_base_year_other_than_the_first_is_inferred():
    # Base year 2023, where a1 has 2 persons 80+: the 2016 change (9 − 2) would give it back.
    data = age_counts(
        {
            ("a1", 2016): (20, 60, 18, 9),
            ("a2", 2016): (25, 70, 15, 8),
            ("a3", 2016): (40, 200, 30, 40),
            ("a1", 2023): (20, 60, 18, 2),
            ("a2", 2023): (25, 70, 15, 5),
            ("a3", 2023): (40, 200, 30, 41),
        }
    )
    quarters = make_quarters({"A": ["a1", "a2", "a3"]})
    counts = roll_up(data, quarters)
    values = {level: evaluate(CATALOG, counts[level], base_year=2023) for level in LEVELS}
    for base_year in (None, 2023):
        out, suppressed = apply_disclosure_control(
            counts, values, CATALOG, quarters, DEFAULT, base_year=base_year
        )
        row = suppressed["quarter"].loc[("a1", 2016)]
        assert not row["population_oldest_old"]
        assert row["change_oldest_old_abs"] and row["change_oldest_old_pct"]
        assert math.isnan(out["quarter"].loc[("a1", 2016), "change_oldest_old_abs"])


def test_change_pct_withheld_on_small_base_year_count():
    data = age_counts(
        {
            ("a1", 2016): (20, 60, 18, 7),
            ("a2", 2016): (25, 70, 15, 50),
            ("a3", 2016): (40, 200, 30, 40),
            ("b1", 2016): (30, 90, 20, 30),
            ("b2", 2016): (35, 80, 25, 25),
        }
        | {
            (q, 2023): v
            for q, v in {
                "a1": (20, 60, 18, 12),
                "a2": (25, 70, 15, 50),
                "a3": (40, 200, 30, 40),
                "b1": (30, 90, 20, 30),
                "b2": (35, 80, 25, 25),
            }.items()
        }
    )
    case = controlled(data, QUARTERS)
    row = case.suppressed["quarter"].loc[("a1", 2023)]
    assert row["change_oldest_old_pct"]  # base of 7 persons < 10
    assert not row["change_oldest_old_abs"]  # the counts 7 and 12 are both shown


def test_fractional_estimates_and_non_person_numerators():
    # Dasymetric accessibility counts are fractions. Two withheld cells hiding 2.0 in total
    # would bound each other to [0, 2]: short of the protection level (0.5 + 3), so the
    # third quarter is withheld too (then each can be anything up to the area's 22.25).
    quarters = make_quarters({"A": ["a1", "a2", "a3"]})
    catalog = Catalog(
        [
            Indicator("within", "count", {"value": "within"}, "Nahbereich", "within"),
            Indicator("dist", "mean", {"numerator": "distsum", "denominator": "origins"}, "D", "D"),
            Indicator(
                "per_1000",
                "per_1000",
                {"numerator": "services", "denominator": "origins"},
                "S",
                "S",
            ),
        ]
    )
    data = pd.DataFrame(
        {
            "quarter_id": ["a1", "a2", "a3"],
            "year": 2023,
            "within": [0.5, 1.5, 20.25],
            "origins": [9.5, 40.0, 30.0],
            "distsum": [1.0, 2.0, 3000.0],
            "services": [0.0, 1.0, 2.0],
        }
    ).set_index(["quarter_id", "year"])
    case = controlled(data, quarters, catalog)
    q = case.suppressed["quarter"].xs(2023, level="year")
    assert q["within"].tolist() == [True, True, True]
    # The bases (9.5 residents) are small; the numerators (distances, services) are no
    # persons: 1 or 2 services are shown.
    assert q["dist"].tolist() == [True, False, False]
    assert q["per_1000"].tolist() == [True, False, False]
    assert protected_variables(catalog) == ["within", "origins"]
    case.check(catalog, quarters, DEFAULT)


def test_disabled_control_changes_nothing():
    counts, values = tables(example(), QUARTERS)
    out, suppressed = apply_disclosure_control(
        counts, values, CATALOG, QUARTERS, DisclosureConfig(enabled=False)
    )
    for level in LEVELS:
        pd.testing.assert_frame_equal(out[level], values[level])
        assert not suppressed[level].any().any()


def test_withheld_counts_of_an_unknown_planning_area_fail():
    counts, _ = tables(example(), QUARTERS)
    wrong = QUARTERS.assign(planning_area=["A", "A", "A", "B", "Z"])
    with pytest.raises(ValueError, match="planning areas without counts"):
        withheld_counts(counts, wrong, ["oldest_old"], 3)


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "suppressed", "decimals", "german", "expected"),
    [
        (12.345, False, 1, True, "12,3"),
        (12.345, False, 1, False, "12.3"),
        (1234.0, False, 0, True, "1234"),
        (2.0, True, 0, True, "."),
        (float("nan"), True, 1, True, "."),
        (2.0, True, 0, False, ""),
        (float("nan"), False, 1, True, ""),
        (None, False, 1, False, ""),
        (-0.04, False, 1, True, "0,0"),
        (-3.25, False, 2, True, "-3,25"),
        (pd.NA, False, 0, True, ""),
        (2.675, False, 2, True, "2,68"),
        (0.5, False, 0, False, "1"),
        (-2.5, False, 0, False, "-3"),
        (1e-7, False, 1, False, "0.0"),
        (float("inf"), False, 1, False, ""),
        (np.int64(7), False, 0, True, "7"),
    ],
)
def test_format_value(value, suppressed, decimals, german, expected):
    assert format_value(value, suppressed, decimals, german) == expected


def test_format_values_for_a_column():
    values = pd.Series([1.25, 2.0, float("nan"), 40.0], index=list("abcd"))
    suppressed = pd.Series([False, True, False], index=list("abc"))
    assert format_values(values, suppressed, 1, german=True).tolist() == ["1,3", ".", "", "40,0"]
    assert format_values(values, suppressed, 0, german=False).tolist() == ["1", "", "", "40"]


def test_disclosure_notes():
    de = disclosure_note(DEFAULT, "de")
    en = disclosure_note(DisclosureConfig(min_count=5, min_denominator=20), "en")
    assert "„.“" in de and "unter 3 Personen (außer 0)" in de and "unter 10" in de
    assert "below 5 persons" in en and "below 20" in en
    assert "{" in DISCLOSURE_NOTE_DE and "{" in DISCLOSURE_NOTE_EN


def test_report_hides_withheld_gaps_and_the_city_figures():
    message = Message(
        "population.demographics.bands_vs_total",
        source="d.csv",
        year=2020,
        n=2,
        bands="5,000",
        total="5,003",
    )
    report = QualityReport()
    report.add("bands_vs_total", "demographics", message, items=["01, 2020: +1", "02, 2020: +2"])
    index = pd.MultiIndex.from_tuples([("01", 2020), ("02", 2020)], names=["unit_id", "year"])
    city = pd.MultiIndex.from_tuples([(CITY_ID, 2020)], names=["unit_id", "year"])
    withheld = {
        "quarter": pd.DataFrame({AGE_GAP: [True, False]}, index=index),
        "city": pd.DataFrame({AGE_GAP: [True]}, index=city),
    }
    protect_report(report, withheld)
    (finding,) = report.findings
    assert finding.items == ("01, 2020: .", "02, 2020: +2")
    assert finding.message == (
        "d.csv, 2020: age bands do not add up to the total in 2 quarter(s). "
        "Shares use the published total."
    )
    assert "5,000" not in finding.text.render("de") and "d.csv, 2020" in finding.text.render("de")


# --- property-based -------------------------------------------------------------------------


@st.composite
def small_tables(draw) -> tuple[pd.DataFrame, pd.DataFrame, DisclosureConfig]:
    """Random quarters in random planning areas with small counts (many 0, 1, 2).

    Sometimes the counts are halved: fractional estimates like the dasymetric accessibility
    counts, where a withheld value is only known to be above 0.
    """
    n_quarters = draw(st.integers(1, 9))
    n_areas = draw(st.integers(1, min(4, n_quarters)))
    area = draw(st.lists(st.integers(0, n_areas - 1), min_size=n_quarters, max_size=n_quarters))
    quarters = pd.DataFrame(
        {
            "quarter_id": [f"q{k}" for k in range(n_quarters)],
            "name": [f"Q {k}" for k in range(n_quarters)],
            "planning_area": [f"P{a}" for a in area],
        }
    )
    years = draw(st.sampled_from([[2020], [2020, 2024]]))
    tiny = st.integers(0, 4)
    group = st.tuples(st.integers(0, 8), st.integers(0, 30), tiny, tiny)
    rows = {(q, y): draw(group) for q in quarters["quarter_id"] for y in years}
    config = DisclosureConfig(
        min_count=draw(st.sampled_from([2, 3, 4])),
        min_denominator=draw(st.sampled_from([1, 5, 10])),
    )
    scale = draw(st.sampled_from([1.0, 1.0, 0.5]))
    return age_counts(rows) * scale, quarters, config


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables())
def test_random_tables_are_protected_and_control_is_idempotent(case):
    data, quarters, config = case
    case = controlled(data, quarters, config=config)
    case.check(CATALOG, quarters, config)
    # (c) idempotence: a second pass withholds nothing new.
    again, marked = apply_disclosure_control(case.counts, case.out, CATALOG, quarters, config)
    for level in LEVELS:
        pd.testing.assert_frame_equal(again[level], case.out[level])
        assert not marked[level].any().any()


# --- end to end through the pipeline --------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_study(demo_study: Study) -> Study:
    """The demo study with small random age-group counts (total = sum of groups)."""
    rng = np.random.default_rng(2026)
    demo = demo_study.demographics.copy()
    n = len(demo)
    demo["young"] = rng.integers(0, 12, n).astype(float)
    demo["working_age"] = rng.integers(0, 40, n).astype(float)
    demo["young_old"] = rng.integers(0, 6, n).astype(float)
    demo["oldest_old"] = rng.integers(0, 4, n).astype(float)
    demo["older"] = demo["young_old"] + demo["oldest_old"]
    demo["total"] = demo["young"] + demo["working_age"] + demo["older"]
    return dataclasses.replace(demo_study, demographics=demo)


def _properties_hold(study: Study) -> sqe_geo.Results:
    results = sqe_geo.run(study, accessibility=False)
    plain = dataclasses.replace(
        study,
        config=study.config.model_copy(update={"disclosure": DisclosureConfig(enabled=False)}),
    )
    unprotected = sqe_geo.run(plain, accessibility=False)
    assert_protected(
        results.counts,
        unprotected.values,
        results.values,
        results.suppressed,
        results.catalog,
        study.quarters,
        study.config.disclosure,
    )
    return results


def test_demo_study_end_to_end(demo_study):
    results = _properties_hold(demo_study)
    # The demo's counts are large: nothing is withheld.
    for level in LEVELS:
        assert not results.suppressed[level].any().any()


def test_small_counts_end_to_end(tiny_study):
    results = _properties_hold(tiny_study)
    quarter = results.suppressed["quarter"]
    assert quarter["population_oldest_old"].sum() > 0
    assert quarter["share_oldest_old"].sum() >= quarter["population_oldest_old"].sum()


def test_demo_with_accessibility_end_to_end(demo_results):
    """Accessibility counts are fractional estimates; the rules hold on them too."""
    study = demo_results.study
    config = study.config
    before = {
        level: evaluate(
            demo_results.catalog,
            demo_results.counts[level],
            base_year=config.base_year,
            walking_speed_mps=config.accessibility.walking_speed_mps,
        )
        for level in LEVELS
    }
    assert_protected(
        demo_results.counts,
        before,
        demo_results.values,
        demo_results.suppressed,
        demo_results.catalog,
        study.quarters,
        config.disclosure,
    )
    # Numerators that are not persons (services, E2SFCA-weighted places) are not protected.
    assert not any(
        v.startswith(("services_", "e2sfca_", "distsum_"))
        for v in protected_variables(demo_results.catalog)
    )


def test_a_median_over_few_residents_is_withheld(demo_study):
    """A per-level value with a ``base`` is withheld when its base is below the minimum."""
    import dataclasses

    import sqe_geo

    config = demo_study.config.model_copy(
        update={
            "disclosure": demo_study.config.disclosure.model_copy(update={"min_denominator": 500})
        }
    )
    results = sqe_geo.run(dataclasses.replace(demo_study, config=config))
    base = results.counts["quarter"]["reached_food_older"]
    median = results.values["quarter"]["median_distance_food_older"]
    withheld = results.suppressed["quarter"]["median_distance_food_older"]
    assert (base < 500).any()
    assert withheld[base < 500].all()
    assert median[base < 500].isna().all()
    assert median[base >= 500].notna().any()
