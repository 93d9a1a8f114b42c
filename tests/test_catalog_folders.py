"""The indicator catalog: where it is found, a study's own folder, no empty catalog."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import sqe_geo
from sqe_geo._errors import StudyConfigError
from sqe_geo.stats.indicators import CATALOG_FOLDER, load_catalog
from sqe_geo.study import Study

EXTRA = """
[[indicator]]
id = "population_young"
theme = "ageing"
kind = "count"
inputs = { value = "young" }
label_de = "Einwohner {young}"
label_en = "Residents {young}"
decimals = 0
"""


def test_shipped_catalog_is_found_through_the_import_system():
    assert (CATALOG_FOLDER / "ageing.toml").is_file()
    assert len(load_catalog().ids) >= 20


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist"),
        ("empty", "holds no *.toml file"),
        ("no_entries", "defines no [[indicator]]"),
    ],
)
def test_an_empty_or_missing_catalog_is_an_error(tmp_path: Path, setup: str, message: str):
    folder = tmp_path / "catalog"
    if setup != "missing":
        folder.mkdir()
    if setup == "no_entries":
        (folder / "nothing.toml").write_text("# no indicators here\n", encoding="utf-8")
    with pytest.raises(StudyConfigError, match=message.replace("[", r"\[").replace("*", r"\*")):
        load_catalog(folder)


def test_a_study_adds_its_own_catalog_folder(demo_study: Study, tmp_path: Path):
    (tmp_path / "extra.toml").write_text(EXTRA, encoding="utf-8")
    config = demo_study.config.model_copy(update={"indicator_folders": [tmp_path]})
    results = sqe_geo.run(dataclasses.replace(demo_study, config=config), accessibility=False)
    assert "population_young" in results.catalog.ids
    assert "share_older" in results.catalog.ids  # the shipped catalog stays
    young = results.counts["quarter"]["young"]
    assert (results.values["quarter"]["population_young"] == young).all()


def test_study_file_key_is_read_relative_to_the_study(tmp_path: Path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "extra.toml").write_text(EXTRA, encoding="utf-8")
    demo = Path(sqe_geo.DEMO_STUDY).read_text(encoding="utf-8")
    folder = Path(sqe_geo.DEMO_STUDY).parent.as_posix()
    text = demo.replace('path = "', f'path = "{folder}/')
    study = tmp_path / "study.toml"
    study.write_text('indicator_folders = ["mine"]\n' + text, encoding="utf-8")
    config = sqe_geo.load_config(study)
    assert config.indicator_folders == [(tmp_path / "mine").resolve()]


def test_change_labels_name_the_base_year(demo_study: Study):
    results = sqe_geo.run(demo_study, accessibility=False)
    change = results.catalog["change_older_abs"]
    assert change.label("de") == "Veränderung Einwohner 65+ seit 2016"
    assert change.label("en") == "Change of residents 65+ since 2016"
    generic = load_catalog().expand(demo_study.config.age_groups.labels())
    assert generic["change_older_abs"].label("de").endswith("seit Basisjahr")
    assert generic["change_older_abs"].label("en").endswith("since base year")
