"""The projection's components, each against values computed by hand on tiny quarters."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sqe_geo.projection
import sqe_geo.projection.raking
from sqe_geo._errors import InputDataError
from sqe_geo.projection import (
    AgeBand,
    BandRates,
    Migration,
    OfficialTotal,
    ProjectionModel,
    age_and_survive,
    band_rates,
    base_from_bands,
    base_from_demographics,
    load_rates,
    migration_from_history,
    migration_from_table,
    parse_bands,
    project,
    projected_demographics,
    rake,
    reported_years,
    round_to_total,
    step_year,
)

SINGLE = parse_bands([(0, 0), (1, 1), (2, None)])  # widths 1, 1, open
WIDE = parse_bands([(0, 1), (2, 4), (5, None)])  # widths 2, 3, open


def rates_all(survival, fertility=(0.0, 0.0, 0.0), newborn=1.0, female_share=0.5) -> BandRates:
    """Band rates without sex, set by hand."""
    return BandRates(
        sexes=("all",),
        survival=np.array([survival], dtype=float),
        fertility=np.array(fertility, dtype=float),
        newborn_survival=np.array([newborn]),
        birth_share=np.array([1.0]),
        female_share=female_share,
    )


def pop(*quarters) -> np.ndarray:
    """``P[q, 1, b]`` from one list of band counts per quarter."""
    return np.array(quarters, dtype=float)[:, None, :]


def test_ageing_moves_one_width_share_up_and_keeps_everybody():
    # 0-1 (width 2): 100/2 = 50 move up; 2-4 (width 3): 30/3 = 10 move up; 5+: nobody leaves
    after, births, deaths = age_and_survive(pop([100, 30, 50]), rates_all([1, 1, 1]), WIDE)
    assert after[0, 0].tolist() == [50.0, 70.0, 60.0]
    assert births.tolist() == [0.0] and deaths.tolist() == [0.0]


def test_single_years_move_everybody_with_survival():
    # survivors 90, 24, 25; ages 0 and 1 move up whole, the open band keeps its own
    after, _, deaths = age_and_survive(pop([100, 30, 50]), rates_all([0.9, 0.8, 0.5]), SINGLE)
    assert after[0, 0].tolist() == pytest.approx([0.0, 90.0, 49.0])
    assert deaths.tolist() == pytest.approx([10 + 6 + 25])


def test_births_from_women_enter_the_first_band():
    # women = half of each band: 50, 15, 25; births = 15·0.1 + 25·0.05 = 2.75;
    # 0.996 of them survive their first year
    rates = rates_all([0.9, 0.8, 0.5], fertility=[0.0, 0.1, 0.05], newborn=0.996)
    after, births, deaths = age_and_survive(pop([100, 30, 50]), rates, SINGLE)
    assert births.tolist() == pytest.approx([2.75])
    assert after[0, 0, 0] == pytest.approx(2.75 * 0.996)
    assert deaths.tolist() == pytest.approx([41 + 2.75 * 0.004])


def test_births_by_sex_use_the_women_and_the_sex_ratio():
    rates = BandRates(
        sexes=("female", "male"),
        survival=np.ones((2, 3)),
        fertility=np.array([0.0, 0.2, 0.0]),
        newborn_survival=np.array([1.0, 1.0]),
        birth_share=np.array([1 / 2.05, 1.05 / 2.05]),
        female_share=0.5,
    )
    population = np.array([[[0, 40, 10], [0, 60, 10]]], dtype=float)  # 40 women aged 1
    after, births, _ = age_and_survive(population, rates, SINGLE)
    assert births.tolist() == pytest.approx([8.0])  # the 60 men have no children
    assert after[0, :, 0].tolist() == pytest.approx([8 / 2.05, 8 * 1.05 / 2.05])


def test_migration_in_persons_and_per_1000_and_cut_at_zero():
    rates = rates_all([0.9, 0.8, 0.5])  # before migration: 0, 90, 49 (see above)
    migration = Migration(
        absolute=np.array([[[5.0, -100.0, 0.0]]]), per_1000=np.array([[[0.0, 0.0, 100.0]]])
    )
    step = step_year(pop([100, 30, 50]), rates, SINGLE, migration)
    # 90 - 100 would be -10: set to 0, the 10 persons reported as clipped
    assert step.population[0, 0].tolist() == pytest.approx([5.0, 0.0, 49 + 4.9])
    assert step.clipped.tolist() == pytest.approx([10.0])
    assert step.migration.tolist() == pytest.approx([5 - 90 + 4.9])


def test_migration_from_history_recovers_the_yearly_residual():
    rates = rates_all([0.9, 0.8, 0.5], fertility=[0.0, 0.1, 0.05], newborn=0.996)
    p2020 = pop([100, 30, 50], [10, 10, 10])
    first = np.array([[[1.0, 2.0, 3.0]], [[0.0, -1.0, 0.0]]])
    second = np.array([[[3.0, 2.0, 1.0]], [[0.0, -3.0, 0.0]]])
    p2021 = age_and_survive(p2020, rates, SINGLE)[0] + first
    # a gap of two years: two years without migration, plus twice the yearly residual
    carried = age_and_survive(age_and_survive(p2021, rates, SINGLE)[0], rates, SINGLE)[0]
    p2023 = carried + 2 * second
    found = migration_from_history({2020: p2020, 2021: p2021, 2023: p2023}, rates, SINGLE)
    main = (1 * first + 2 * second) / 3  # mean per year, each interval weighted by its years
    std = np.abs(first - second) / math.sqrt(2)  # standard deviation of two values, ddof=1
    np.testing.assert_allclose(found["main"].absolute, main, atol=1e-9)
    np.testing.assert_allclose(found["low"].absolute, main - std, atol=1e-9)
    np.testing.assert_allclose(found["high"].absolute, main + std, atol=1e-9)
    one = migration_from_history({2020: p2020, 2021: p2021}, rates, SINGLE, spread=0.2)
    np.testing.assert_allclose(one["high"].absolute, first + 0.2 * np.abs(first), atol=1e-9)
    half = migration_from_history({2020: p2020, 2021: p2021}, rates, SINGLE, damping=0.5)
    np.testing.assert_allclose(half["main"].absolute, first / 2, atol=1e-9)
    np.testing.assert_allclose(half["low"].absolute, first / 2 - np.abs(first) / 4, atol=1e-9)
    with pytest.raises(InputDataError, match="-1"):
        migration_from_history({2020: p2020, 2021: p2021}, rates, SINGLE, damping=-1)


def test_migration_from_history_needs_two_years():
    with pytest.raises(InputDataError, match="two years"):
        migration_from_history({2020: pop([1, 1, 1])}, rates_all([1, 1, 1]), SINGLE)


def test_migration_table_general_rows_then_specific_ones():
    table = pd.DataFrame(
        {
            "age": ["0-0", "2+", "2+"],
            "quarter_id": [None, None, "b"],
            "main": [10.0, -4.0, 6.0],
            "low": [5.0, None, None],
        }
    )
    found = migration_from_table(table, ["a", "b"], ("all",), SINGLE)
    assert found["main"].per_1000[:, 0, :].tolist() == [[10, 0, -4], [10, 0, 6]]
    # low given for age 0; otherwise main - 0.5·|main|
    assert found["low"].per_1000[:, 0, :].tolist() == [[5, 0, -6], [5, 0, 3]]
    assert found["high"].per_1000[:, 0, :].tolist() == [[15, 0, -2], [15, 0, 9]]
    with pytest.raises(InputDataError, match="'w'"):
        migration_from_table(table.assign(sex="w"), ["a", "b"], ("female", "male"), SINGLE)
    unknown = pd.DataFrame({"age": ["2+"], "quarter_id": ["zz"], "main": [1.0]})
    with pytest.raises(InputDataError, match="'zz'"):
        migration_from_table(unknown, ["a", "b"], ("all",), SINGLE)
    with pytest.raises(InputDataError, match="'7-9'"):
        migration_from_table(pd.DataFrame({"age": ["7-9"], "main": [1]}), ["a"], ("all",), SINGLE)


def test_rake_to_the_total_scales_every_cell():
    raked = rake(pop([10, 30], [20, 40]), 110.0)
    np.testing.assert_allclose(raked[:, 0, :], [[11, 33], [22, 44]])


def test_rake_to_total_and_bands_keeps_the_odds_ratio():
    # 2 x 2 table 10 30 / 20 40 raked to quarter totals 44, 66 (scaled) and bands 35, 75.
    # IPF keeps the odds ratio 10·40 / (30·20) = 2/3, so the first cell x solves
    # x (31 + x) / ((44 - x)(35 - x)) = 2/3, i.e. x² + 251 x - 3080 = 0.
    raked = rake(pop([10, 30], [20, 40]), 110.0, np.array([35.0, 75.0]))
    x = (-251 + math.sqrt(251**2 + 4 * 3080)) / 2
    np.testing.assert_allclose(raked[:, 0, :], [[x, 44 - x], [35 - x, 31 + x]], rtol=1e-9)
    with pytest.raises(InputDataError, match="70"):
        rake(pop([10, 30], [20, 40]), 110.0, np.array([35.0, 35.0]))
    with pytest.raises(InputDataError, match="nothing to scale"):
        rake(pop([0, 0]), 5.0)


def test_round_to_total_largest_remainder():
    assert round_to_total(np.array([0.4, 0.4, 0.2]), 1).tolist() == [1.0, 0.0, 0.0]
    assert round_to_total(np.array([2.6, 2.6, 2.8]), 7).tolist() == [2.0, 2.0, 3.0]
    result = doctest.testmod(sqe_geo.projection.raking)
    assert result.attempted > 0 and result.failed == 0


def test_variants_shift_the_path_by_the_spread():
    # one open band, nobody dies or is born: main +10 a year, low +5, high +15
    bands = parse_bands([(0, None)])
    migration = {
        v: Migration(np.full((1, 1, 1), m), np.zeros((1, 1, 1)))
        for v, m in (("low", 5.0), ("main", 10.0), ("high", 15.0))
    }
    model = ProjectionModel(rates_all([1.0], fertility=[0.0]), bands, migration)
    table = project(pop([100]), ["q"], 2020, model=model, target_year=2023)
    totals = table.pivot(index="year", columns="variant", values="age_0plus")
    assert totals.loc[2023].to_dict() == {"high": 145.0, "low": 115.0, "main": 130.0}
    raked = project(
        pop([100]), ["q"], 2020, model=model, target_year=2022, step=2,
        official={2022: OfficialTotal(200.0)}, variants=["main"],
    )  # fmt: skip
    assert raked["year"].tolist() == [2022] and raked["age_0plus"].tolist() == [200.0]


def test_reported_years_every_step_and_the_target():
    assert reported_years(2023, 2040, 5) == [2028, 2033, 2038, 2040]
    assert reported_years(2023, 2025, 1) == [2024, 2025]
    with pytest.raises(InputDataError):
        reported_years(2023, 2023, 1)


def test_band_rates_from_the_single_year_tables():
    rates = load_rates()
    bands = parse_bands([(0, 0), (1, 14), (15, 49), (50, None)])
    by_sex = band_rates(rates, bands, ("female", "male"))
    assert by_sex.survival[0, 0] == pytest.approx(rates.survival["female"][0])
    assert by_sex.fertility[2] == pytest.approx(1.35 / 35, abs=1e-4)  # TFR spread over 35 years
    assert by_sex.birth_share.sum() == pytest.approx(1.0)
    # a band's survival lies between its ages' extremes
    p = rates.survival["male"][50:]
    assert p.min() < by_sex.survival[1, 3] < p.max()
    both = band_rates(rates, bands, ("all",))
    assert both.survival[0].tolist() == pytest.approx(by_sex.survival.mean(axis=0).tolist())


def test_shipped_rates_say_where_they_come_from(tmp_path: Path):
    rates = load_rates()
    assert "Destatis" in rates.sources[0] or "Statistischen Bundesamts" in rates.sources[0]
    assert rates.sex_ratio == pytest.approx(1.05)
    broken = tmp_path / "survival.toml"
    broken.write_text("female = [0.5]\nmale = [0.5]\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="female"):
        load_rates(survival=broken)


def test_bands_must_tile_all_ages():
    with pytest.raises(InputDataError, match="10"):
        parse_bands([(0, 9), (11, None)])
    assert [b.label for b in WIDE] == ["0-1", "2-4", "5+"]
    assert AgeBand(5, None).width == math.inf


def test_demographics_table_in_and_out():
    groups = {"young": "0-19", "working_age": "20-64", "older": "65+",
              "young_old": "65-79", "oldest_old": "80+"}  # fmt: skip
    table = pd.DataFrame(
        {
            "quarter_id": ["01", "02"], "year": [2020, 2020], "total": [103, 50],
            "young": [20, 10], "working_age": [60, 30], "older": [20, 10],
            "young_old": [15, 8], "oldest_old": [5, 2],
        }
    )  # fmt: skip
    base = base_from_demographics(table, groups)
    assert [b.label for b in base.bands] == ["0-19", "20-64", "65-79", "80+"]
    assert base.history[2020][:, 0, :].tolist() == [[20, 60, 15, 5], [10, 30, 8, 2]]
    assert base.total_gap == {2020: 3.0}
    projection = pd.DataFrame(
        {
            "variant": "main", "quarter_id": ["01", "02"], "year": 2021,
            "age_0_19": [20.4, 9.5], "age_20_64": [60.4, 30.5], "age_65_79": [15.4, 8.0],
            "age_80plus": [5.4, 2.0],
        }
    )  # fmt: skip
    out = projected_demographics(projection, base.bands, groups, language="de")
    # 01: 101.6 → 102 persons; floors 20 60 15 5 = 100, the two largest remainders get one
    # (ties: the first), so 21 61 15 5
    assert out.loc[0, ["total", "young", "working_age", "older"]].tolist() == [102, 21, 61, 20]
    assert out["kind"].unique().tolist() == ["Prognose"] and out["variant"].tolist() == ["main"] * 2


def test_official_totals_with_bands_and_their_errors(tmp_path: Path):
    from sqe_geo.projection.inputs import read_migration_rates, read_official_totals

    path = tmp_path / "amtlich.csv"
    path.write_text(
        "year;total;age_0_1;age_2_4;age_5plus\n2030;1.000;100;300;600\n", encoding="utf-8"
    )
    found = read_official_totals(path, WIDE)
    assert found[2030].total == 1000 and found[2030].bands.tolist() == [100, 300, 600]
    path.write_text("year;total;age_0_1\n2030;1000;100\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="age_2_4, age_5plus"):
        read_official_totals(path, WIDE)
    path.write_text("year;total\n2030;\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="total"):
        read_official_totals(path, WIDE)
    rates = tmp_path / "rates.csv"
    rates.write_text("age;sex;main\n0-1;female;1,5\n", encoding="utf-8")
    table = read_migration_rates(rates)
    assert table["main"].tolist() == [1.5]
    found = migration_from_table(table, ["a"], ("female", "male"), WIDE)
    assert found["main"].per_1000[0, :, 0].tolist() == [1.5, 0.0]


def test_the_shipped_rates_are_marked_unverified():
    assert load_rates().verified is False
    result = doctest.testmod(sqe_geo.projection)
    assert result.attempted > 0 and result.failed == 0


def test_five_year_groups_by_sex_from_a_band_table():
    ranges = [f"{a}-{a + 4}" for a in range(0, 85, 5)] + ["85+"]
    columns = {f"{sex[0]}{r}": (sex, r) for sex in ("female", "male") for r in ranges}
    table = pd.DataFrame({"quarter_id": ["a", "b"], "year": 2020})
    for i, column in enumerate(columns):
        table[column] = [100.0 + i, 50.0]
    base = base_from_bands(table, columns)
    assert base.sexes == ("female", "male") and len(base.bands) == 18
    assert base.history[2020].shape == (2, 2, 18)
    assert base.history[2020][0, 1, 0] == 118.0  # the first male column is the 19th
    rates = band_rates(load_rates(), base.bands, base.sexes)
    closed = {"main": Migration.none((2, 2, 18))}
    model = ProjectionModel(rates, base.bands, closed)
    projected = project(
        base.history[2020], base.quarters, 2020, model=model, target_year=2021, variants=["main"]
    )
    # closed population: next year = survivors + surviving newborns, all computed by sex
    after, births, _ = age_and_survive(base.history[2020], rates, base.bands)
    assert projected["age_0_4"].tolist() == pytest.approx(after[:, :, 0].sum(1).tolist())
    assert births[1] == pytest.approx(50.0 * rates.fertility.sum())
    del columns["m85+"]
    with pytest.raises(InputDataError, match="male 85"):
        base_from_bands(table.assign(**{"f0-4": 1.0}), columns)
