"""Age groups from the city's bands, and the checks on demographics tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sqe_geo.config import AgeGroupsConfig
from sqe_geo.config_layers import DemographicsConfig, parse_age_range
from sqe_geo.population.demographics import canonical_counts, derive_groups, to_wide
from sqe_geo.quality import QualityReport

GROUPS = AgeGroupsConfig().model_dump()


def test_parse_age_range():
    assert parse_age_range("20-64") == (20, 64)
    assert parse_age_range("80+") == (80, None)
    assert parse_age_range(" 0 – 19 ") == (0, 19)
    with pytest.raises(ValueError, match="ends before"):
        parse_age_range("64-20")
    with pytest.raises(ValueError, match="form"):
        parse_age_range("old")


def test_groups_are_tiled_by_bands():
    bands = {"u10": "0-9", "a10": "10-19", "a20": "20-64", "a65": "65-79", "a80": "80+"}
    tilings = derive_groups(bands, GROUPS)
    assert tilings["young"] == [["u10", "a10"]]
    assert tilings["older"] == [["a65", "a80"]]
    assert tilings["oldest_old"] == [["a80"]]


def test_ten_year_bands_cannot_form_65_plus():
    # Zensus 2022 10-year groups: 65+ straddles a60bis69, so it is not derivable
    bands = {f"a{lo}": f"{lo}-{lo + 9}" for lo in range(0, 80, 10)} | {"a80": "80+"}
    tilings = derive_groups(bands, GROUPS)
    assert "older" not in tilings
    assert "working_age" not in tilings
    assert tilings["oldest_old"] == [["a80"]]
    assert derive_groups(bands, {"older": "60+"})["older"] == [["a60", "a70", "a80"]]


def test_overlapping_bands_give_alternative_tilings():
    bands = {"p65": "65+", "p65_79": "65-79", "p80": "80+"}
    assert derive_groups(bands, {"older": "65+"})["older"] == [["p65"], ["p65_79", "p80"]]


def _config(**kw) -> DemographicsConfig:
    base = {
        "path": "x.csv",
        "key_column": "key",
        "year_column": "year",
        "total_column": "total",
        "bands": {"b0": "0-19", "b20": "20-64", "b65": "65-79", "b80": "80+"},
    }
    return DemographicsConfig(**(base | kw))


def _wide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quarter_id": ["01", "02"],
            "year": [2020, 2020],
            "total": [100, 60],
            "b0": [20, 10],
            "b20": [50, 30],
            "b65": [20, 15],
            "b80": [10, 5],
        }
    )


def test_canonical_counts_by_hand():
    report = QualityReport()
    out = canonical_counts(_wide(), _config(), GROUPS, source="x.csv", report=report)
    assert out["older"].tolist() == [30, 20]
    assert out["young_old"].tolist() == [20, 15]
    assert out["oldest_old"].tolist() == [10, 5]
    assert not report.by_check("bands_vs_total")


def test_gap_between_bands_and_total_is_reported():
    wide = _wide()
    wide.loc[1, "total"] = 70  # bands add up to 60
    report = QualityReport()
    canonical_counts(wide, _config(), GROUPS, source="x.csv", report=report)
    (finding,) = report.by_check("bands_vs_total")
    assert finding.items == ("02, 2020: +10",)
    assert "bands 160 vs total 170" in finding.message


def test_inconsistent_overlapping_bands_are_reported():
    wide = _wide().assign(p65=[31, 20])
    config = _config(
        bands={"b0": "0-19", "b20": "20-64", "p65": "65+", "b65": "65-79", "b80": "80+"}
    )
    report = QualityReport()
    out = canonical_counts(wide, config, GROUPS, source="x.csv", report=report)
    assert out["older"].tolist() == [31, 20]  # the single published band is used
    (finding,) = report.by_check("bands_inconsistent")
    assert finding.items == ("01/2020",)


def test_non_numeric_and_negative_counts_are_reported_not_dropped():
    wide = _wide().astype({"b80": object})
    wide.loc[0, "b80"] = "k.A."
    wide.loc[1, "b0"] = -3
    report = QualityReport()
    out = canonical_counts(wide, _config(), GROUPS, source="x.csv", report=report)
    assert len(out) == 2  # rows are kept
    assert pd.isna(out.loc[0, "oldest_old"]) and pd.isna(out.loc[1, "young"])
    assert report.by_check("non_numeric_count")[0].items == ("row 2: 'k.A.'",)
    assert report.by_check("negative_count")[0].severity == "error"


def test_long_layout_is_pivoted():
    long = pd.DataFrame(
        {
            "key": ["01", "01", "01", "01", "01"],
            "year": [2020] * 5,
            "band": ["total", "b0", "b20", "b65", "b80"],
            "n": [100, 20, 50, 20, 10],
        }
    )
    config = _config(layout="long", band_column="band", value_column="n")
    wide = to_wide(long, config, source="x.csv")
    assert wide.loc[0, "b65"] == 20 and wide.loc[0, "total"] == 100
