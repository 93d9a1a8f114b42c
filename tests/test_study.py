"""Loading a study: key matching, planning areas, geometry checks and demographics layouts.

Every test writes a small study into ``tmp_path``: four 1 km squares in EPSG:25832 named
after Karlsruhe Stadtteile, a demographics CSV with hand-chosen counts and a study TOML.
The expected values are worked out by hand in the comments.

Hand-made demographics (year 2020; bands tile the total exactly)::

    id  name               total  0-19  20-64  65-79  80+   65+   share 65+
    01  Mühlburg            1000   200    550    180   70   250   25 %
    02  Beiertheim-Bulach   2000   300   1100    420  180   600   30 %
    03  Südstadt            1500   250    900    250  100   350   23.33 %
    04  Innenstadt-West      500    50    300    100   50   150   30 %
    city                    5000                              1350  27 %
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import sqe_geo
from sqe_geo._errors import InputDataError, StudyConfigError
from sqe_geo.quality import QualityReport
from sqe_geo.study import load_study
from sqe_geo.study_quarters import UNASSIGNED, check_quarter_geometry

X0, Y0 = 455_000.0, 5_427_000.0
KM = 1000.0

QUARTERS = [
    ("01", "Mühlburg"),
    ("02", "Beiertheim-Bulach"),
    ("03", "Südstadt"),
    ("04", "Innenstadt-West"),
]
#: name -> (total, 0-19, 20-64, 65-79, 80+)
COUNTS = {
    "Mühlburg": (1000, 200, 550, 180, 70),
    "Beiertheim-Bulach": (2000, 300, 1100, 420, 180),
    "Südstadt": (1500, 250, 900, 250, 100),
    "Innenstadt-West": (500, 50, 300, 100, 50),
}
HEADER = "Stadtteil,Jahr,Einwohner,A0_19,A20_64,A65_79,A80"
BANDS = {"A0_19": "0-19", "A20_64": "20-64", "A65_79": "65-79", "A80": "80+"}


def _grid() -> list:
    """2 × 2 squares of 1 km: 01 south-west, 02 south-east, 03 north-west, 04 north-east."""
    return [
        box(X0, Y0, X0 + KM, Y0 + KM),
        box(X0 + KM, Y0, X0 + 2 * KM, Y0 + KM),
        box(X0, Y0 + KM, X0 + KM, Y0 + 2 * KM),
        box(X0 + KM, Y0 + KM, X0 + 2 * KM, Y0 + 2 * KM),
    ]


def _write_quarters(
    folder: Path,
    *,
    ids: list | None = None,
    geometries: list | None = None,
    areas: list[str | None] | None = None,
) -> Path:
    columns: dict[str, list] = {
        "qid": ids if ids is not None else [int(q) for q, _ in QUARTERS],
        "qname": [n for _, n in QUARTERS],
    }
    if areas is not None:
        columns["pa"] = areas
    frame = gpd.GeoDataFrame(columns, geometry=geometries or _grid(), crs="EPSG:25832")
    path = folder / "quarters.gpkg"
    frame.to_file(path, layer="quarters", engine="pyogrio")
    return path


def _rows(names: dict[str, str] | None = None, year: int = 2020) -> list[str]:
    """CSV rows of :data:`COUNTS`, with the names optionally spelled differently."""
    names = names or {}
    return [",".join([names.get(n, n), str(year), *map(str, c)]) for n, c in COUNTS.items()]


def _write_demographics(folder: Path, rows: list[str], header: str = HEADER) -> Path:
    path = folder / "demographics.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _bands_toml(bands: dict[str, str]) -> str:
    return "\n".join(f'"{k}" = "{v}"' for k, v in bands.items())


def _write_study(
    folder: Path,
    *,
    quarters_extra: str = "",
    planning_areas: str = "",
    demographics: str | None = None,
    bands: dict[str, str] | None = None,
    extra: str = "",
) -> Path:
    demographics = demographics or textwrap.dedent(
        """\
        path = "demographics.csv"
        key_column = "Stadtteil"
        year_column = "Jahr"
        total_column = "Einwohner"
        """
    )
    text = (
        f'name = "test"\ntitle = "Teststadt"\n{extra}\n'
        # disclosure control is tested elsewhere; here shares are compared with exact values
        "[disclosure]\nenabled = false\n"
        '[quarters]\npath = "quarters.gpkg"\nid_column = "qid"\nname_column = "qname"\n'
        f"{quarters_extra}\n"
        f"{planning_areas}\n"
        f"[demographics]\n{demographics}\n"
        f"[demographics.bands]\n{_bands_toml(bands or BANDS)}\n"
    )
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _standard(tmp_path: Path, rows: list[str] | None = None, **study: str) -> Path:
    _write_quarters(tmp_path)
    _write_demographics(tmp_path, rows if rows is not None else _rows())
    return _write_study(tmp_path, **study)


def _one(report: QualityReport, check: str):
    found = report.by_check(check)
    assert len(found) == 1, f"expected one {check!r} finding, got {report.to_text()}"
    return found[0]


# --- the plain case and a run -----------------------------------------------------------


def test_plain_study_loads_with_canonical_counts(tmp_path: Path):
    study = load_study(_standard(tmp_path))
    assert study.quarters["quarter_id"].tolist() == ["01", "02", "03", "04"]
    assert study.quarters.crs == "EPSG:25832"
    assert study.quarters.geometry.area.tolist() == pytest.approx([1e6] * 4)
    assert study.years == [2020]
    demo = study.demographics.set_index("quarter_id")
    assert demo.loc["02", "total"] == 2000
    assert demo.loc["02", "older"] == 600  # 420 + 180
    assert demo.loc["02", "young_old"] == 420
    assert demo.loc["02", "oldest_old"] == 180
    assert demo.loc["03", "working_age"] == 900
    assert demo["total"].sum() == 5000
    # no findings besides "no planning areas"
    assert [f.check for f in study.report.findings] == ["no_planning_areas"]
    assert study.planning_areas == [UNASSIGNED]


def test_run_without_accessibility_gives_hand_computed_shares(tmp_path: Path):
    mapping = textwrap.dedent(
        """\
        [planning_areas.mapping]
        Nord = ["Mühlburg", "Beiertheim-Bulach"]
        "Süd" = ["Südstadt", "Innenstadt-West"]
        """
    )
    study = load_study(_standard(tmp_path, planning_areas=mapping))
    results = sqe_geo.run(study, accessibility=False)
    quarter = results.values["quarter"]
    assert quarter.loc[("03", 2020), "share_older"] == pytest.approx(350 / 1500 * 100)
    assert quarter.loc[("01", 2020), "share_older"] == pytest.approx(25.0)
    area = results.values["planning_area"]
    # Nord: (250 + 600) / (1000 + 2000) — summed counts, not the mean of 25 % and 30 %
    assert area.loc[("Nord", 2020), "share_older"] == pytest.approx(850 / 3000 * 100)
    assert area.loc[("Süd", 2020), "share_older"] == pytest.approx(500 / 2000 * 100)
    city = results.values["city"]
    assert city["share_older"].iloc[0] == pytest.approx(27.0)
    assert city["share_oldest_old"].iloc[0] == pytest.approx(400 / 5000 * 100)
    assert results.counts["planning_area"].loc[("Nord", 2020), "total"] == 3000


# --- key matching -----------------------------------------------------------------------


def test_misspelt_name_is_matched_fuzzily_and_reported(tmp_path: Path):
    rows = _rows({"Mühlburg": "Muehlburgg"})
    study = load_study(_standard(tmp_path, rows))
    demo = study.demographics.set_index("quarter_id")
    assert demo.loc["01", "total"] == 1000
    finding = _one(study.report, "fuzzy_key_match")
    assert finding.severity == "warning"
    assert finding.items == ("Muehlburgg → Mühlburg (01)",)
    assert not study.report.by_check("unmatched_keys")


def test_two_letter_misspelling_is_not_guessed(tmp_path: Path):
    # "Mühlbrug" swaps two letters: two edits from "muehlburg", so it is not matched
    rows = [*_rows(), "Mühlbrug,2020,10,1,5,3,1"]
    study = load_study(_standard(tmp_path, rows))
    assert _one(study.report, "unmatched_keys").items == ("Mühlbrug",)
    assert study.demographics.set_index("quarter_id").loc["01", "total"] == 1000


def test_unknown_name_is_listed_as_unmatched(tmp_path: Path):
    rows = [*_rows(), "Hintertupfingen,2020,10,1,5,3,1", "Karlsruhe gesamt,2020,5000,1,1,1,1"]
    study = load_study(_standard(tmp_path, rows))
    finding = _one(study.report, "unmatched_keys")
    assert finding.items == ("Hintertupfingen", "Karlsruhe gesamt")
    assert "look like totals (Karlsruhe gesamt)" in finding.message
    # the unmatched rows are not counted
    assert study.demographics["total"].sum() == 5000
    assert len(study.demographics) == 4


def test_umlaut_case_and_hyphen_variants_are_matched(tmp_path: Path):
    names = {
        "Mühlburg": "MUEHLBURG",
        "Beiertheim-Bulach": "Beiertheim - Bulach",
        "Südstadt": "suedstadt",
        "Innenstadt-West": "Innenstadt West",
    }
    study = load_study(_standard(tmp_path, _rows(names)))
    demo = study.demographics.set_index("quarter_id")
    assert demo["total"].to_dict() == {"01": 1000, "02": 2000, "03": 1500, "04": 500}
    finding = _one(study.report, "normalised_key_match")
    assert finding.severity == "info"
    assert set(finding.items) == {
        "MUEHLBURG → Mühlburg (01)",
        "Beiertheim - Bulach → Beiertheim-Bulach (02)",
        "suedstadt → Südstadt (03)",
        "Innenstadt West → Innenstadt-West (04)",
    }
    assert not study.report.by_check("fuzzy_key_match")


def test_numeric_keys_match_zero_padded_ids(tmp_path: Path):
    rows = [f"{i + 1},2020,{','.join(map(str, c))}" for i, c in enumerate(COUNTS.values())]
    assert rows[0].startswith("1,2020")
    study = load_study(_standard(tmp_path, rows))
    assert study.demographics["quarter_id"].tolist() == ["01", "02", "03", "04"]
    assert not study.report.by_check("unmatched_keys")


def test_quarter_without_row_is_reported(tmp_path: Path):
    study = load_study(_standard(tmp_path, _rows()[:3]))
    finding = _one(study.report, "quarter_without_demographics")
    assert finding.items == ("04",)
    assert "2020" in finding.message


# --- duplicates -------------------------------------------------------------------------


def test_duplicate_quarter_ids_are_an_error(tmp_path: Path):
    _write_quarters(tmp_path, ids=[1, 2, 2, 4])
    _write_demographics(tmp_path, _rows())
    with pytest.raises(InputDataError) as info:
        load_study(_write_study(tmp_path))
    message = str(info.value)
    assert "quarters.gpkg" in message and "'02'" in message and "'qid'" in message


def test_duplicate_quarter_year_rows_are_an_error_naming_them(tmp_path: Path):
    rows = [*_rows(), "Südstadt,2020,1500,250,900,250,100"]
    with pytest.raises(InputDataError) as info:
        load_study(_standard(tmp_path, rows))
    message = str(info.value)
    assert "demographics.csv" in message
    assert "03/2020" in message
    assert "01/2020" not in message


def test_two_spellings_of_one_quarter_are_an_error(tmp_path: Path):
    rows = [*_rows(), "Suedstadt,2020,1500,250,900,250,100"]
    with pytest.raises(InputDataError, match="03/2020"):
        load_study(_standard(tmp_path, rows))


# --- the study file ---------------------------------------------------------------------


def test_unknown_toml_key_is_named(tmp_path: Path):
    path = _standard(tmp_path, quarters_extra='planing_area_column = "pa"')
    with pytest.raises(StudyConfigError) as info:
        load_study(path)
    message = str(info.value)
    assert "quarters.planing_area_column" in message
    assert "unknown key" in message


def test_missing_required_key_is_named(tmp_path: Path):
    path = _standard(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('path = "quarters.gpkg"\n', ""), encoding="utf-8")
    with pytest.raises(StudyConfigError, match=r"quarters\.path: required key is missing"):
        load_study(path)
    path.write_text(text.replace('name = "test"\n', ""), encoding="utf-8")
    with pytest.raises(StudyConfigError, match=r"  - name: required key is missing"):
        load_study(path)


def test_default_column_that_is_absent_is_named(tmp_path: Path):
    # name_column defaults to "name"; the quarters here call it "qname"
    path = _standard(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('name_column = "qname"\n', ""), encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        load_study(path)
    message = str(info.value)
    assert "quarters.gpkg has no column(s) ['name']" in message
    assert "'qname'" in message and "name_column" in message


def test_missing_input_file_is_named(tmp_path: Path):
    _write_quarters(tmp_path)
    path = _write_study(tmp_path)  # demographics.csv is never written
    with pytest.raises(StudyConfigError) as info:
        load_study(path)
    message = str(info.value)
    assert str(tmp_path / "demographics.csv") in message
    assert "does not exist" in message


def test_wrong_column_name_is_named(tmp_path: Path):
    path = _standard(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('"qname"', '"Name"'))
    with pytest.raises(InputDataError, match=r"no column\(s\) \['Name'\]"):
        load_study(path)


# --- planning areas ---------------------------------------------------------------------


def test_planning_areas_from_a_column(tmp_path: Path):
    _write_quarters(tmp_path, areas=["Nord", "Nord", "Süd", None])
    _write_demographics(tmp_path, _rows())
    study = load_study(_write_study(tmp_path, quarters_extra='planning_area_column = "pa"'))
    assert study.quarters["planning_area"].tolist() == ["Nord", "Nord", "Süd", UNASSIGNED]
    finding = _one(study.report, "quarter_without_planning_area")
    assert finding.items == ("Innenstadt-West",)


def _areas_section() -> str:
    return textwrap.dedent(
        """\
        [planning_areas]
        path = "areas.csv"
        quarter_column = "Stadtteil"
        area_column = "Planungsraum"
        """
    )


def test_planning_areas_from_a_table_by_name(tmp_path: Path):
    (tmp_path / "areas.csv").write_text(
        "Stadtteil;Planungsraum\nMuehlburg;Nord\nBeiertheim-Bulach;Nord\nSüdstadt;Süd\n",
        encoding="utf-8",
    )
    study = load_study(_standard(tmp_path, planning_areas=_areas_section()))
    assert study.quarters["planning_area"].tolist() == ["Nord", "Nord", "Süd", UNASSIGNED]
    assert study.planning_areas == ["Nord", "Süd", UNASSIGNED]
    assert _one(study.report, "quarter_without_planning_area").items == ("Innenstadt-West",)
    assert _one(study.report, "normalised_key_match").items == ("Muehlburg → Mühlburg (01)",)


def test_planning_areas_from_a_table_by_id(tmp_path: Path):
    (tmp_path / "areas.csv").write_text(
        "Stadtteil;Planungsraum\n01;Nord\n2;Nord\n3;Süd\n4;Süd\n", encoding="utf-8"
    )
    study = load_study(_standard(tmp_path, planning_areas=_areas_section()))
    assert study.quarters["planning_area"].tolist() == ["Nord", "Nord", "Süd", "Süd"]
    assert not study.report.by_check("quarter_without_planning_area")


def test_planning_areas_from_a_table_with_ids_and_names(tmp_path: Path):
    (tmp_path / "areas.csv").write_text(
        "Stadtteil;Planungsraum\n01;Nord\n2;Nord\nSüdstadt;Süd\n", encoding="utf-8"
    )
    study = load_study(_standard(tmp_path, planning_areas=_areas_section()))
    assert study.quarters["planning_area"].tolist() == ["Nord", "Nord", "Süd", UNASSIGNED]
    assert _one(study.report, "quarter_without_planning_area").items == ("Innenstadt-West",)


def test_planning_areas_from_an_inline_mapping_by_name_and_id(tmp_path: Path):
    section = textwrap.dedent(
        """\
        [planning_areas.mapping]
        Nord = ["Mühlburg", "02"]
        "Süd" = ["suedstadt"]
        """
    )
    study = load_study(_standard(tmp_path, planning_areas=section))
    assert study.quarters["planning_area"].tolist() == ["Nord", "Nord", "Süd", UNASSIGNED]
    assert _one(study.report, "quarter_without_planning_area").items == ("Innenstadt-West",)
    assert _one(study.report, "normalised_key_match").layer == "planning_areas"


def test_quarter_in_two_planning_areas_is_an_error(tmp_path: Path):
    section = '[planning_areas.mapping]\nNord = ["Mühlburg"]\n"Süd" = ["01", "Südstadt"]\n'
    with pytest.raises(InputDataError, match=r"\['01'\] into more than one planning area"):
        load_study(_standard(tmp_path, planning_areas=section))


def test_planning_areas_need_exactly_one_source(tmp_path: Path):
    section = '[planning_areas]\npath = "demographics.csv"\nmapping = { Nord = ["01"] }\n'
    with pytest.raises(StudyConfigError, match="either 'path'"):
        load_study(_standard(tmp_path, planning_areas=section))


# --- quarter geometry -------------------------------------------------------------------


def _frame(geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"quarter_id": [f"{i + 1:02d}" for i in range(len(geoms))]},
        geometry=geoms,
        crs="EPSG:25832",
    )


def test_overlapping_quarters_are_reported_with_the_area():
    geoms = _grid()
    geoms[1] = box(X0 + KM - 10, Y0, X0 + 2 * KM, Y0 + KM)  # 02 reaches 10 m into 01
    report = QualityReport()
    check_quarter_geometry(_frame(geoms), report)
    finding = _one(report, "quarter_overlap")
    assert finding.items == ("01/02: 10,000 m²",)  # 10 m × 1,000 m
    assert not report.by_check("quarter_gap")


def test_gap_between_quarters_is_reported_with_the_area():
    # four quarters around an empty 1 km square in the middle
    geoms = [
        box(X0, Y0, X0 + 3 * KM, Y0 + KM),
        box(X0, Y0 + 2 * KM, X0 + 3 * KM, Y0 + 3 * KM),
        box(X0, Y0 + KM, X0 + KM, Y0 + 2 * KM),
        box(X0 + 2 * KM, Y0 + KM, X0 + 3 * KM, Y0 + 2 * KM),
    ]
    report = QualityReport()
    check_quarter_geometry(_frame(geoms), report)
    finding = _one(report, "quarter_gap")
    (item,) = finding.items
    assert item.startswith("1,000,000 m² at ")
    x, y = (float(v) for v in item.split(" at ")[1].split(","))
    assert X0 + KM < x < X0 + 2 * KM and Y0 + KM < y < Y0 + 2 * KM
    assert not report.by_check("quarter_overlap")


def test_slivers_below_the_tolerance_are_not_reported():
    geoms = _grid()
    geoms[1] = box(X0 + KM - 0.05, Y0, X0 + 2 * KM, Y0 + KM)  # 0.05 m × 1 km = 50 m²
    geoms[3] = box(X0 + KM + 0.05, Y0 + KM, X0 + 2 * KM, Y0 + 2 * KM)  # 50 m² notch
    report = QualityReport()
    check_quarter_geometry(_frame(geoms), report)
    assert len(report) == 0
    check_quarter_geometry(_frame(geoms), report, tolerance_m2=10.0)
    assert _one(report, "quarter_overlap").items == ("01/02: 50 m²",)


def test_load_study_reports_overlap_and_gap(tmp_path: Path):
    geoms = _grid()
    geoms[1] = box(X0 + KM - 10, Y0, X0 + 2 * KM, Y0 + KM)  # overlap with 01: 10,000 m²
    geoms[3] = box(X0 + KM + 20, Y0 + KM, X0 + 2 * KM, Y0 + 2 * KM)  # notch, not a hole
    _write_quarters(tmp_path, geometries=geoms)
    _write_demographics(tmp_path, _rows())
    study = load_study(_write_study(tmp_path))
    assert _one(study.report, "quarter_overlap").items == ("01/02: 10,000 m²",)
    # the 20 m notch opens to the outside, so it is no enclosed gap
    assert not study.report.by_check("quarter_gap")


# --- demographics layouts ---------------------------------------------------------------


def test_long_layout(tmp_path: Path):
    _write_quarters(tmp_path)
    labels = ["insgesamt", "0 bis 19", "20 bis 64", "65 bis 79", "80 und älter"]
    rows = [
        f"{name};2020;{label};{value}"
        for name, counts in COUNTS.items()
        for label, value in zip(labels, counts, strict=True)
    ]
    _write_demographics(tmp_path, rows, header="Stadtteil;Jahr;Altersgruppe;Anzahl")
    section = textwrap.dedent(
        """\
        path = "demographics.csv"
        layout = "long"
        key_column = "Stadtteil"
        year_column = "Jahr"
        band_column = "Altersgruppe"
        value_column = "Anzahl"
        total_column = "insgesamt"
        """
    )
    bands = dict(zip(labels[1:], ["0-19", "20-64", "65-79", "80+"], strict=True))
    study = load_study(_write_study(tmp_path, demographics=section, bands=bands))
    demo = study.demographics.set_index("quarter_id")
    assert demo["total"].to_dict() == {"01": 1000, "02": 2000, "03": 1500, "04": 500}
    assert demo["older"].to_dict() == {"01": 250, "02": 600, "03": 350, "04": 150}
    assert demo.loc["03", "oldest_old"] == 100
    assert not study.report.by_check("bands_vs_total")


def test_long_layout_with_duplicate_band_rows_is_an_error(tmp_path: Path):
    _write_quarters(tmp_path)
    rows = ["Mühlburg;2020;insgesamt;1000", "Mühlburg;2020;65+;250", "Mühlburg;2020;65+;251"]
    _write_demographics(tmp_path, rows, header="Stadtteil;Jahr;Altersgruppe;Anzahl")
    section = (
        'path = "demographics.csv"\nlayout = "long"\nkey_column = "Stadtteil"\n'
        'year_column = "Jahr"\nband_column = "Altersgruppe"\nvalue_column = "Anzahl"\n'
        'total_column = "insgesamt"\n'
    )
    with pytest.raises(InputDataError, match="duplicate rows"):
        load_study(_write_study(tmp_path, demographics=section, bands={"65+": "65+"}))


def test_bands_without_80_plus_leave_that_group_unavailable(tmp_path: Path):
    _write_quarters(tmp_path)
    rows = [f"{name},2020,{t},{a},{b},{c + d}" for name, (t, a, b, c, d) in COUNTS.items()]
    _write_demographics(tmp_path, rows, header="Stadtteil,Jahr,Einwohner,A0_19,A20_64,A65")
    bands = {"A0_19": "0-19", "A20_64": "20-64", "A65": "65+"}
    study = load_study(_write_study(tmp_path, bands=bands))
    assert "oldest_old" not in study.demographics.columns
    assert "young_old" not in study.demographics.columns
    unavailable = study.report.by_check("age_group_unavailable")
    assert {f.message.split(" (")[0] for f in unavailable} == {
        "Age group young_old",
        "Age group oldest_old",
    }
    results = sqe_geo.run(study, accessibility=False)
    assert "share_oldest_old" not in results.values["city"].columns
    assert results.values["city"]["share_older"].iloc[0] == pytest.approx(27.0)
    finding = _one(results.report, "indicator_unavailable")
    assert any(item.startswith("share_oldest_old needs") for item in finding.items)


def test_bands_not_adding_up_to_the_total_are_reported(tmp_path: Path):
    rows = _rows()
    rows[1] = "Beiertheim-Bulach,2020,2010,300,1100,420,180"  # 10 residents of unknown age
    study = load_study(_standard(tmp_path, rows))
    finding = _one(study.report, "bands_vs_total")
    assert finding.items == ("02, 2020: +10",)
    assert "bands 5,000 vs total 5,010" in finding.message


def test_single_year_table_takes_the_year_from_the_study(tmp_path: Path):
    rows = [",".join([n, *map(str, c)]) for n, c in COUNTS.items()]
    _write_quarters(tmp_path)
    _write_demographics(tmp_path, rows, header="Stadtteil,Einwohner,A0_19,A20_64,A65_79,A80")
    section = 'path = "demographics.csv"\nkey_column = "Stadtteil"\nyear = 2019\n'
    section += 'total_column = "Einwohner"\n'
    study = load_study(_write_study(tmp_path, demographics=section))
    assert study.years == [2019]


def test_several_years(tmp_path: Path):
    rows = [*_rows(year=2015), *_rows(year=2020)]
    rows[0] = "Mühlburg,2015,900,200,550,100,50"
    study = load_study(_standard(tmp_path, rows, extra="base_year = 2015"))
    assert study.years == [2015, 2020]
    results = sqe_geo.run(study, accessibility=False)
    quarter = results.values["quarter"]
    # 65+ in Mühlburg: 150 (2015) -> 250 (2020)
    assert quarter.loc[("01", 2020), "change_older_abs"] == pytest.approx(100.0)
    assert quarter.loc[("01", 2020), "change_older_pct"] == pytest.approx(100 / 150 * 100)


def test_negative_and_non_numeric_counts_become_missing(tmp_path: Path):
    rows = _rows()
    rows[1] = "Beiertheim-Bulach,2020,-5,300,1100,420,180"
    rows[2] = "Südstadt,2020,1500,250,abc,250,100"
    study = load_study(_standard(tmp_path, rows))
    demo = study.demographics.set_index("quarter_id")
    # the unusable cells are missing, not zero and not negative
    assert pd.isna(demo.loc["02", "total"])
    assert pd.isna(demo.loc["03", "working_age"])
    assert demo.loc["03", "older"] == 350
    # the run still works and skips the missing values
    results = sqe_geo.run(study, accessibility=False)
    assert results.values["quarter"].loc[("01", 2020), "share_older"] == pytest.approx(25.0)


def test_negative_and_non_numeric_counts_reach_the_report(tmp_path: Path):
    rows = _rows()
    rows[1] = "Beiertheim-Bulach,2020,-5,300,1100,420,180"
    rows[2] = "Südstadt,2020,1500,250,abc,250,100"
    study = load_study(_standard(tmp_path, rows))
    checks = {f.check: f for f in study.report.findings}
    negative = checks.get("negative_count") or checks.get("negative_counts")
    non_numeric = checks.get("non_numeric_count") or checks.get("non_numeric_cells")
    assert negative is not None, study.report.to_text()
    assert non_numeric is not None, study.report.to_text()
    assert "-5" in " ".join(negative.items)
    assert "abc" in " ".join(non_numeric.items)


def _demo_with_services(tmp_path: Path, synthetic: list[object]) -> Path:
    """A copy of the demo study whose services carry the given ``synthetisch`` values."""
    from hostile_cases import copy_demo

    toml = copy_demo(tmp_path / "study")
    services = gpd.read_file(toml.parent / "services.gpkg", layer="services").iloc[:3].copy()
    services["synthetisch"] = synthetic
    services.to_file(toml.parent / "services.gpkg", layer="services", driver="GPKG")
    return toml


def test_synthetic_column_marks_services(tmp_path: Path):
    study = load_study(_demo_with_services(tmp_path, ["ja", "nein", "1"]))
    assert study.services["synthetic"].tolist() == [True, False, True]


def test_synthetic_column_with_other_values_is_named(tmp_path: Path):
    with pytest.raises(InputDataError, match=r"'synthetisch'.*vielleicht"):
        load_study(_demo_with_services(tmp_path, ["ja", "vielleicht", "nein"]))
