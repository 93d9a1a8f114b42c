"""Properties of the projection that hold for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sqe_geo.projection import (
    Migration,
    OfficialTotal,
    ProjectionModel,
    band_rates,
    load_rates,
    parse_bands,
    project,
    rake,
    round_to_total,
    step_year,
)

BANDS = parse_bands([(0, 2), (3, 17), (18, 64), (65, 79), (80, None)])
RATES = band_rates(load_rates(), BANDS, ("female", "male"))
SHAPE = (3, 2, len(BANDS))

counts = arrays(np.float64, SHAPE, elements=st.floats(0, 5000, allow_subnormal=False))
moves = arrays(np.float64, SHAPE, elements=st.floats(-3000, 3000, allow_nan=False))
per_1000 = arrays(np.float64, SHAPE, elements=st.floats(-500, 500, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(counts, moves, per_1000)
def test_a_year_never_leaves_negative_residents(population, absolute, rates):
    step = step_year(population, RATES, BANDS, Migration(absolute, rates))
    assert (step.population >= 0).all()
    assert (step.clipped >= 0).all()
    # the books balance: start + births - deaths + applied net migration = end
    balance = population.sum((1, 2)) + step.births - step.deaths + step.migration
    np.testing.assert_allclose(step.population.sum((1, 2)), balance, rtol=1e-9, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(counts, arrays(np.float64, SHAPE, elements=st.floats(0, 3000)), st.integers(1, 400_000))
def test_raked_years_hit_the_official_total_exactly(population, absolute, total):
    # in-migration only, so residents remain to be scaled (none left is an error, tested)
    population = population + 1.0
    migration = {"main": Migration(absolute, np.zeros(SHAPE))}
    model = ProjectionModel(RATES, BANDS, migration)
    official = {y: _official(total) for y in (2021, 2022)}
    table = project(population, ["a", "b", "c"], 2020, model=model, target_year=2022,
                    official=official, variants=["main"])  # fmt: skip
    persons = table[[c for c in table.columns if c.startswith("age_")]].to_numpy()
    assert (persons >= 0).all()
    for year in (2021, 2022):
        cells = persons[(table["year"] == year).to_numpy()]
        assert abs(cells.sum() - total) < 1e-6 * total
        rounded = round_to_total(cells, total)
        assert rounded.sum() == total and (rounded >= 0).all()


def _official(total: int) -> OfficialTotal:
    return OfficialTotal(float(total))


@settings(max_examples=60, deadline=None)
@given(counts, st.integers(0, 200_000))
def test_rounding_hits_any_whole_total_and_stays_close(values, total):
    positive = values.sum() > 1e-3  # a sum near zero cannot be scaled up to ``total``
    scaled = values * (total / values.sum()) if positive else values
    rounded = round_to_total(scaled, total)
    assert (rounded >= 0).all()
    if positive:
        assert rounded.sum() == total
        assert np.abs(rounded - scaled).max() < 1.0 + 1e-6


@settings(max_examples=40, deadline=None)
@given(counts, arrays(np.float64, (len(BANDS),), elements=st.floats(1, 1e5)))
def test_ipf_meets_both_margins(population, bands):
    population = population + 0.5  # every cell positive: IPF converges
    total = float(bands.sum())
    raked = rake(population, total, bands)
    np.testing.assert_allclose(raked.sum(), total, rtol=1e-9)
    np.testing.assert_allclose(raked.sum(axis=(0, 1)), bands, rtol=1e-6)
    share = population.sum((1, 2)) / population.sum()
    np.testing.assert_allclose(raked.sum((1, 2)) / total, share, rtol=1e-6)
