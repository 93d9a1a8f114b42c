"""Indicator catalog and evaluation, checked against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sqe_geo._errors import StudyConfigError
from sqe_geo.config import AgeGroupsConfig
from sqe_geo.stats.evaluation import evaluate
from sqe_geo.stats.indicators import Category, load_catalog

AGE_LABELS = AgeGroupsConfig().labels()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog().expand(AGE_LABELS)


@pytest.fixture
def counts() -> pd.DataFrame:
    # two quarters, two years; numbers chosen so every ratio is easy to compute by hand
    index = pd.MultiIndex.from_tuples(
        [("A", 2016), ("A", 2023), ("B", 2016), ("B", 2023)], names=["unit_id", "year"]
    )
    return pd.DataFrame(
        {
            "total": [1000, 1100, 400, 0],
            "young": [200, 210, 100, 0],
            "working_age": [600, 640, 200, 0],
            "older": [200, 250, 80, 0],
            "young_old": [150, 175, 60, 0],
            "oldest_old": [50, 75, 20, 0],
        },
        index=index,
    )


def test_ageing_indicators_hand_computed(catalog, counts):
    values = evaluate(catalog, counts, base_year=2016)
    a16, a23 = values.loc[("A", 2016)], values.loc[("A", 2023)]
    assert a16["population"] == 1000
    assert a16["share_older"] == pytest.approx(20.0)  # 200 / 1000 × 100
    assert a16["share_oldest_old"] == pytest.approx(5.0)  # 50 / 1000 × 100
    assert a16["old_age_dependency"] == pytest.approx(200 / 600 * 100)  # Altenquotient
    assert a16["youth_dependency"] == pytest.approx(200 / 600 * 100)  # Jugendquotient
    assert a16["oldest_old_ratio"] == pytest.approx(25.0)  # 50 / 200 × 100
    assert a16["greying_index"] == pytest.approx(50 / 150 * 100)
    assert a23["share_older"] == pytest.approx(250 / 1100 * 100)
    assert a23["change_older_abs"] == 50
    assert a23["change_older_pct"] == pytest.approx(25.0)  # (250 − 200) / 200 × 100
    assert a23["change_oldest_old_abs"] == 25
    assert a23["change_oldest_old_pct"] == pytest.approx(50.0)


def test_change_is_undefined_in_the_base_year(catalog, counts):
    values = evaluate(catalog, counts, base_year=2016)
    assert np.isnan(values.loc[("A", 2016), "change_older_abs"])
    assert np.isnan(values.loc[("A", 2016), "change_older_pct"])


def test_zero_denominator_gives_missing_not_zero_or_inf(catalog, counts):
    values = evaluate(catalog, counts, base_year=2016)
    b23 = values.loc[("B", 2023)]
    assert np.isnan(b23["share_older"])
    assert np.isnan(b23["old_age_dependency"])
    assert b23["change_older_abs"] == -80
    assert b23["change_older_pct"] == pytest.approx(-100.0)


def test_labels_follow_the_study_age_groups():
    groups = AgeGroupsConfig(older="60+", working_age="18-59")
    catalog = load_catalog().expand(groups.labels())
    assert catalog["share_older"].label_de == "Anteil 60+"
    assert catalog["old_age_dependency"].unit_de == "je 100 im Alter 18–59"


def test_category_templates_expand_per_category():
    cats = [
        Category("food", "Lebensmittel", "Food store", "500 m"),
        Category("care_home", "Pflegeheim", "Care home", "1000 m", capacity=True),
    ]
    catalog = load_catalog().expand(AGE_LABELS, cats)
    assert "coverage_food_older" in catalog
    assert (
        catalog["coverage_food_older"].label_de == "Lebensmittel: Anteil 65+ im Umkreis von 500 m"
    )
    assert catalog["coverage_food_older"].inputs["numerator"] == "within_food_older"
    assert catalog["coverage_food_older"].category == "food"
    # E2SFCA only for capacity-bound categories
    assert "e2sfca_care_home_oldest_old" in catalog
    assert "e2sfca_food_oldest_old" not in catalog


def test_every_catalog_entry_has_both_languages_and_a_description():
    for ind in load_catalog():
        assert ind.label_de and ind.label_en, ind.id
        assert ind.description_de and ind.description_en, ind.id
        assert ind.direction in ("higher_is_better", "higher_is_worse", "neutral")


def test_missing_inputs_are_split_off(catalog, counts):
    available, missing = catalog.available(counts.drop(columns=["oldest_old"]).columns)
    assert "share_oldest_old" in [i.id for i in missing]
    assert "share_older" in available


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('id = "x"\nkind = "median"\ninputs = { value = "a" }', "unknown kind"),
        ('id = "x"\nkind = "share"\ninputs = { numerator = "a" }', "needs inputs"),
        ('id = "x"\nkind = "count"\ninputs = { value = "a" }\ndirection = "up"', "direction"),
        ('id = "x"\nkind = "count"\ninputs = { value = "a" }\ncolour = "red"', "unknown key"),
    ],
)
def test_bad_catalog_entries_are_named(tmp_path: Path, entry: str, message: str):
    (tmp_path / "bad.toml").write_text(
        f'[[indicator]]\n{entry}\nlabel_de = "x"\nlabel_en = "x"\n', encoding="utf-8"
    )
    with pytest.raises(StudyConfigError, match=message):
        load_catalog(tmp_path)


def test_duplicate_ids_across_files(tmp_path: Path):
    entry = '[[indicator]]\nid = "x"\nkind = "count"\ninputs = { value = "a" }\n'
    entry += 'label_de = "x"\nlabel_en = "x"\n'
    (tmp_path / "a.toml").write_text(entry, encoding="utf-8")
    (tmp_path / "b.toml").write_text(entry, encoding="utf-8")
    with pytest.raises(StudyConfigError, match="defined twice"):
        load_catalog(tmp_path)
