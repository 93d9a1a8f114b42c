"""The study file: validation errors name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqe_geo
from sqe_geo._errors import StudyConfigError
from sqe_geo.config import load_config

DEMO_TEXT = sqe_geo.DEMO_STUDY.read_text(encoding="utf-8")


def _study(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "study.toml"
    # keep the demo's relative paths valid by pointing them at the demo folder
    text = text.replace('path = "', f'path = "{sqe_geo.DEMO_STUDY.parent}/')
    target.write_text(text, encoding="utf-8")
    return target


def test_demo_study_is_valid():
    config = load_config(sqe_geo.DEMO_STUDY)
    # the demo shows the real Stadtteile (issue 14): demo data, not schematic boundaries
    assert config.demo and not config.schematic_boundaries
    assert config.analysis_crs == "EPSG:25832"
    assert config.services is not None
    assert config.services.categories["food"].threshold_m == 500
    assert config.services.categories["transit_stop"].threshold_m == 300
    assert config.accessibility.walking_speed_mps == 0.8
    assert Path(config.quarters.path).is_absolute()


def test_unknown_key_is_named(tmp_path: Path):
    path = _study(tmp_path, DEMO_TEXT.replace('id_column = "quarter_id"', 'id_colum = "x"'))
    with pytest.raises(StudyConfigError, match=r"quarters\.id_colum: unknown key"):
        load_config(path)


def test_missing_key_is_named(tmp_path: Path):
    path = _study(tmp_path, DEMO_TEXT.replace('key_column = "Stadtteil_Nr"\n', ""))
    with pytest.raises(StudyConfigError, match=r"demographics: key_column: required key"):
        load_config(path)


def test_bad_age_range_is_named(tmp_path: Path):
    path = _study(
        tmp_path, DEMO_TEXT.replace('Alter_80_plus = "80+"', 'Alter_80_plus = "80 und mehr"')
    )
    with pytest.raises(StudyConfigError, match="Alter_80_plus"):
        load_config(path)


def test_missing_input_file(tmp_path: Path):
    path = _study(tmp_path, DEMO_TEXT.replace("services.gpkg", "nowhere.gpkg"))
    with pytest.raises(StudyConfigError, match=r"nowhere\.gpkg does not exist"):
        load_config(path)


def test_not_toml(tmp_path: Path):
    path = tmp_path / "study.toml"
    path.write_text("name = ", encoding="utf-8")
    with pytest.raises(StudyConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_study_file(tmp_path: Path):
    with pytest.raises(StudyConfigError, match="does not exist"):
        load_config(tmp_path / "none.toml")


def test_threshold_in_metres_or_minutes_not_both(tmp_path: Path):
    text = DEMO_TEXT + (
        '\n[services.categories.food]\nlabel_de = "L"\nlabel_en = "F"\n'
        "threshold_m = 500\nthreshold_min = 10\n"
    )
    with pytest.raises(StudyConfigError, match=r"threshold_m.*threshold_min.*not both"):
        load_config(_study(tmp_path, text))


def test_categories_merge_with_the_defaults(tmp_path: Path):
    text = DEMO_TEXT + (
        "\n[services.categories.food]\nthreshold_min = 10\n"
        '\n[services.categories.market]\nlabel_de = "Wochenmarkt"\nlabel_en = "Market"\n'
        "threshold_m = 700\n"
    )
    config = load_config(_study(tmp_path, text))
    categories = config.services.categories
    assert categories["food"].threshold_min == 10 and categories["food"].threshold_m is None
    assert categories["food"].label_de == "Lebensmittel"  # kept from the defaults
    assert categories["pharmacy"].threshold_m == 1000
    assert categories["market"].threshold_m == 700
