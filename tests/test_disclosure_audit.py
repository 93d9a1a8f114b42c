"""Linear-programming audit of disclosure control (tests/disclosure_audit.py).

For every sensitive count cell (``0 < x < min_count``) the attacker's interval, derived
from everything published with its rounding and every relation of the method, must reach
``max(x − 3, 0)`` and ``x + 3``. Run on the demo (with accessibility), on the real 2016
Stadtteile, and on many small generated studies full of 1s and 2s.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from disclosure_audit import audit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqe_geo
from sqe_geo.config import DisclosureConfig
from sqe_geo.pipeline import Results
from sqe_geo.population.demographics import _check_total_gap
from sqe_geo.quality import QualityReport
from sqe_geo.stats.aggregate import LEVELS
from sqe_geo.study import Study

LOWER = UPPER = 3.0


def _unprotected(intervals) -> list:
    return [i for i in intervals if not i.protected(LOWER, UPPER)]


def _with_disclosure(study: Study, **rules) -> Study:
    config = study.config.model_copy(update={"disclosure": DisclosureConfig(**rules)})
    return dataclasses.replace(study, config=config)


def test_demo_with_accessibility_passes_the_audit(demo_results: Results):
    intervals = audit(demo_results)
    assert intervals, "the demo has small accessibility counts (e.g. 2 residents 65+ reach no GP)"
    assert _unprotected(intervals) == []


def _small_study(demo: Study, draw_counts, quarters: int, areas: list[int]) -> Study:
    """The demo's first quarters, regrouped, with the given small counts."""
    q = demo.quarters.iloc[:quarters].copy()
    q["planning_area"] = [f"P{a}" for a in areas]
    demo_rows = demo.demographics[demo.demographics["quarter_id"].isin(q["quarter_id"])].copy()
    demo_rows = demo_rows.reset_index(drop=True)
    young, working, young_old, oldest_old, gap = draw_counts(len(demo_rows))
    demo_rows["young"] = young
    demo_rows["working_age"] = working
    demo_rows["young_old"] = young_old
    demo_rows["oldest_old"] = oldest_old
    demo_rows["older"] = demo_rows["young_old"] + demo_rows["oldest_old"]
    demo_rows["total"] = demo_rows["young"] + demo_rows["working_age"] + demo_rows["older"] + gap
    # The report of these counts: the demo's own findings about its bands do not apply.
    report = QualityReport([f for f in demo.report.findings if f.check != "bands_vs_total"])
    _check_total_gap(demo_rows, source="generated.csv", report=report)
    return dataclasses.replace(demo, quarters=q, demographics=demo_rows, report=report)


def test_a_relation_between_age_groups_is_protected(demo_study: Study):
    """80+ = 2 in one quarter: 65+ − 65–79 would give it back unless a partner is withheld."""
    study = _with_disclosure(demo_study)

    def counts(n: int):
        oldest = np.full(n, 40.0)
        oldest[0] = 2.0
        return (
            np.full(n, 50.0),
            np.full(n, 300.0),
            np.full(n, 60.0),
            oldest,
            np.zeros(n),
        )

    small = _small_study(study, counts, 6, [0, 0, 0, 1, 1, 1])
    results = sqe_geo.run(small, accessibility=False)
    first = results.counts["quarter"].index[0]
    withheld = results.withheld["quarter"].loc[first]
    assert withheld["oldest_old"]
    # Hand check: older = young_old + oldest_old, so one of the two others goes too.
    assert withheld["older"] or withheld["young_old"]
    assert _unprotected(audit(results)) == []


def test_the_audit_finds_a_hierarchy_only_pattern(demo_study: Study):
    """The audit can fail: with only the primary cell marked, 80+ follows from 65+ − 65–79."""
    study = _with_disclosure(demo_study)

    def counts(n: int):
        oldest = np.full(n, 40.0)
        oldest[0] = 2.0
        return np.full(n, 50.0), np.full(n, 300.0), np.full(n, 60.0), oldest, np.zeros(n)

    results = sqe_geo.run(_small_study(study, counts, 6, [0, 0, 0, 1, 1, 1]), accessibility=False)
    naive = dataclasses.replace(
        results,
        values={lv: results.values[lv].copy() for lv in LEVELS},
        suppressed={lv: results.suppressed[lv].copy() for lv in LEVELS},
    )
    first = results.counts["quarter"].index[0]
    plain = sqe_geo.run(_with_disclosure(results.study, enabled=False), accessibility=False)
    unprotected_values = plain.values
    for level in LEVELS:  # publish everything except the indicators of the 80+ cell itself
        naive.values[level] = unprotected_values[level].copy()
        naive.suppressed[level][:] = False
    for ind in ("population_oldest_old", "share_oldest_old", "oldest_old_ratio"):
        if ind in naive.values["quarter"].columns:
            naive.suppressed["quarter"].loc[first, ind] = True
            naive.values["quarter"].loc[first, ind] = np.nan
    pinned = _unprotected(audit(naive))
    assert any(i.unit == first[0] and i.variable == "oldest_old" for i in pinned)


def _generated(seed: int, with_gap: bool):
    """Small random counts (many 0, 1, 2), some quarters with a gap between bands and total."""

    def counts(n: int):
        rng = np.random.default_rng(seed)
        gap = rng.integers(-2, 3, n) * rng.integers(0, 2, n) if with_gap else np.zeros(n)
        return (
            rng.integers(0, 6, n).astype(float),
            rng.integers(0, 25, n).astype(float),
            rng.integers(0, 4, n).astype(float),
            rng.integers(0, 3, n).astype(float),
            gap.astype(float),
        )

    return counts


@st.composite
def small_counts(draw):
    quarters = draw(st.integers(2, 9))
    n_areas = draw(st.integers(1, min(3, quarters)))
    areas = draw(st.lists(st.integers(0, n_areas - 1), min_size=quarters, max_size=quarters))
    return quarters, areas, draw(st.integers(0, 2**32 - 1)), draw(st.booleans())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counts())
def test_generated_small_studies_pass_the_audit(demo_study: Study, case):
    quarters, areas, seed, with_gap = case
    counts = _generated(seed, with_gap)
    study = _small_study(_with_disclosure(demo_study), counts, quarters, areas)
    results = sqe_geo.run(study, accessibility=False)
    assert _unprotected(audit(results)) == []


def test_real_2016_stadtteile_pass_the_audit(karlsruhe: Path, tmp_path: Path):
    """The real 27 Stadtteile with the published 2016 figures, rules made strict.

    The real counts are large, so the default rules withhold nothing; a minimum count of
    400 makes the published differences "bands vs total" (34 … 734 persons of unknown age)
    and the smaller Stadtteile sensitive, which exercises the real hierarchy and the gap.
    """
    from test_realdata_study import POPULATION, _write_study

    study = sqe_geo.load_study(_write_study(karlsruhe, tmp_path, POPULATION, "Stadtteilnummer"))
    study = _with_disclosure(study, min_count=400)
    results = sqe_geo.run(study, accessibility=False)
    intervals = audit(results, min_count=400)
    assert len(intervals) >= 5
    assert _unprotected(intervals) == []
    # The quality report shows withheld gaps as ".".
    items = [i for f in results.report.findings if f.check == "bands_vs_total" for i in f.items]
    assert any(i.endswith(": .") for i in items)
    assert all(not i.endswith(": +34") for i in items)  # Palmbach's 34 is withheld


def test_default_rules_on_real_2016_withhold_nothing(karlsruhe: Path, tmp_path: Path):
    from test_realdata_study import POPULATION, _write_study

    study = sqe_geo.load_study(_write_study(karlsruhe, tmp_path, POPULATION, "Stadtteilnummer"))
    results = sqe_geo.run(_with_disclosure(study), accessibility=False)
    assert audit(results) == []
    assert not any(results.suppressed[lv].any().any() for lv in LEVELS)
    assert isinstance(results.values["quarter"], pd.DataFrame)


def test_real_stadtteile_with_address_points_pass_the_audit(karlsruhe: Path, tmp_path: Path):
    """Real boundaries, 2016 figures, OSM address points and supermarkets, the four hill
    districts not computed (NaN counts): the audit holds with a strict minimum count."""
    from test_realdata_access import _run

    plain = _run(karlsruhe, tmp_path)  # the study as the accessibility tests read it
    study = _with_disclosure(plain.study, min_count=50)
    results = sqe_geo.run(study)
    intervals = audit(results, min_count=50)
    assert intervals  # small accessibility counts exist at this minimum
    assert _unprotected(intervals) == []
