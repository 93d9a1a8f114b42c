"""Real Karlsruhe data as a study: the 27 Stadtteile with their published 2016 figures.

The files of ``../shared/karlsruhe`` are read in place; only the study TOML and a
demographics CSV derived from the GeoJSON's own properties are written into ``tmp_path``.
Expected values come from SOURCES.md (city 311,635 residents, 56,403 aged 65+, age bands
summing to 304,619) and from the properties of single Stadtteile, worked out by hand.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import shapely

import sqe_geo
from sqe_geo.io.layers import read_vector
from sqe_geo.quality import QualityReport
from sqe_geo.study import Study, load_study
from sqe_geo.study_quarters import check_quarter_geometry

pytestmark = pytest.mark.realdata

POPULATION = Path("population/stadtteile_2016_bevoelkerung.geojson")
BOUNDARIES = Path("boundaries/stadtteile.geojson")

#: Illustrative planning areas (Stadtteilnummer in the comments).
PLANNING_AREAS: dict[str, list[str]] = {
    # 08, 09, 11, 12
    "West": ["Mühlburg", "Daxlanden", "Grünwinkel", "Oberreut"],
    # 01, 02, 03, 05
    "Innenstadt": ["Innenstadt-Ost", "Innenstadt-West", "Südstadt", "Weststadt"],
    # 04, 13, 14, 15
    "Süd": ["Südweststadt", "Beiertheim-Bulach", "Weiherfeld-Dammerstock", "Rüppurr"],
    # 06, 10, 26, 27
    "Nord": ["Nordweststadt", "Knielingen", "Neureut", "Nordstadt"],
    # 07, 16, 17, 18
    "Ost": ["Oststadt", "Waldstadt", "Rintheim", "Hagsfeld"],
    # 19 … 25
    "Durlach und Bergdörfer": [
        "Durlach",
        "Grötzingen",
        "Stupferich",
        "Hohenwettersbach",
        "Wolfartsweier",
        "Grünwettersbach",
        "Palmbach",
    ],
}

#: Published figures (SOURCES.md).
CITY_TOTAL = 311_635
CITY_65_PLUS = 56_403
CITY_BANDS = 304_619

#: Two Stadtteile as in the file's properties: (Einwohner, 0-19, 20-64, 65+).
MUEHLBURG = (17_481, 2_732, 11_301, 3_116)  # Stadtteilnummer 8
PALMBACH = (1_970, 428, 1_170, 338)  # Stadtteilnummer 25


def _properties(karlsruhe: Path, relative: Path) -> list[dict]:
    data = json.loads((karlsruhe / relative).read_text(encoding="utf-8"))
    return [feature["properties"] for feature in data["features"]]


def _write_demographics(karlsruhe: Path, folder: Path) -> Path:
    """A CSV with the 2016 figures, derived from the population GeoJSON's properties."""
    path = folder / "bevoelkerung_2016.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Stadtteilnummer", "Stadtteil", "Einwohner", "Alter_0_19", "Alter_20_64", "Alter_65"]
        )
        for p in _properties(karlsruhe, POPULATION):
            writer.writerow(
                [
                    p["Stadtteilnummer"],
                    p["Stadtteilname"],
                    p["Einwohner_2016"],
                    p["Alter_0-19_2016"],
                    p["Alter_20-64_2016"],
                    p["Alter_65+_2016"],
                ]
            )
    return path


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _write_study(karlsruhe: Path, folder: Path, quarters: Path, key_column: str) -> Path:
    demographics = _write_demographics(karlsruhe, folder)
    mapping = "\n".join(f'"{area}" = {_toml_list(q)}' for area, q in PLANNING_AREAS.items())
    text = f"""\
name = "karlsruhe-2016"
title = "Karlsruhe 2016"

[quarters]
path = "{(karlsruhe / quarters).as_posix()}"
id_column = "Stadtteilnummer"
name_column = "Stadtteilname"

[planning_areas.mapping]
{mapping}

[demographics]
path = "{demographics.name}"
key_column = "{key_column}"
year = 2016
total_column = "Einwohner"

[demographics.bands]
Alter_0_19 = "0-19"
Alter_20_64 = "20-64"
Alter_65 = "65+"

# disclosure control is not under test here: shares are compared with exact values
[disclosure]
enabled = false
"""
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def population_study(karlsruhe: Path, tmp_path_factory: pytest.TempPathFactory) -> Study:
    """The population GeoJSON as quarters, demographics matched by Stadtteilnummer."""
    folder = tmp_path_factory.mktemp("realdata-population")
    return load_study(_write_study(karlsruhe, folder, POPULATION, "Stadtteilnummer"))


@pytest.fixture(scope="module")
def boundaries_study(karlsruhe: Path, tmp_path_factory: pytest.TempPathFactory) -> Study:
    """The official boundaries as quarters, demographics matched by Stadtteil name."""
    folder = tmp_path_factory.mktemp("realdata-boundaries")
    return load_study(_write_study(karlsruhe, folder, BOUNDARIES, "Stadtteil"))


def test_hand_values_are_the_files_own_properties(karlsruhe: Path):
    props = {p["Stadtteilname"]: p for p in _properties(karlsruhe, POPULATION)}
    assert len(props) == 27
    for name, values in (("Mühlburg", MUEHLBURG), ("Palmbach", PALMBACH)):
        p = props[name]
        keys = ("Einwohner_2016", "Alter_0-19_2016", "Alter_20-64_2016", "Alter_65+_2016")
        assert tuple(p[k] for k in keys) == values
    assert sum(p["Einwohner_2016"] for p in props.values()) == CITY_TOTAL
    assert sum(p["Alter_65+_2016"] for p in props.values()) == CITY_65_PLUS


def test_geojson_files_have_no_crs_member_and_are_read_as_wgs84(karlsruhe: Path):
    for relative in (POPULATION, BOUNDARIES):
        data = json.loads((karlsruhe / relative).read_text(encoding="utf-8"))
        assert "crs" not in data  # RFC 7946: coordinates are WGS84 longitude/latitude
    report = QualityReport()
    frame = read_vector(karlsruhe / BOUNDARIES, target_crs="EPSG:25832", what="quarters",
                        report=report)  # fmt: skip
    # GDAL declares WGS84 for GeoJSON, so no CRS is needed from the study file
    assert not report.by_check("crs_from_study")
    assert frame.crs == "EPSG:25832"
    # Karlsruhe lies around E 455–470 km, N 5,421–5,438 km in ETRS89 / UTM 32N
    minx, miny, maxx, maxy = frame.total_bounds
    assert 445_000 < minx < maxx < 475_000
    assert 5_415_000 < miny < maxy < 5_440_000
    # the city's area is about 173.4 km²
    assert frame.geometry.area.sum() / 1e6 == pytest.approx(173.4, abs=0.5)


def test_population_geojson_reads_without_warnings(karlsruhe: Path):
    # columns mixing numbers and "" (AnteilÜbergänge*_2016) make the reader warn; the
    # notes go into the report instead of the console (warnings are errors in tests)
    report = QualityReport()
    frame = read_vector(
        karlsruhe / POPULATION, target_crs="EPSG:25832", what="quarters", report=report
    )
    assert len(frame) == 27
    (note,) = report.by_check("reader_note")
    assert any("AnteilÜbergängeGymnasium_2016" in item for item in note.items)


def test_population_study_loads_all_27_stadtteile(population_study: Study):
    quarters = population_study.quarters
    assert quarters["quarter_id"].tolist() == [f"{i:02d}" for i in range(1, 28)]
    assert quarters.crs == "EPSG:25832"
    assert population_study.years == [2016]
    for check in ("unmatched_keys", "quarters_without_data", "quarter_without_planning_area"):
        assert not population_study.report.by_check(check), population_study.report.to_text()
    # planning areas in order of their first quarter: 01, 04, 06, 07, 08, 19
    assert population_study.planning_areas == [
        "Innenstadt", "Süd", "Nord", "Ost", "West", "Durlach und Bergdörfer",
    ]  # fmt: skip
    counts = population_study.quarters["planning_area"].value_counts().to_dict()
    assert counts == {area: len(q) for area, q in PLANNING_AREAS.items()}


def test_bands_vs_total_lists_all_27_stadtteile(population_study: Study):
    (finding,) = population_study.report.by_check("bands_vs_total")
    assert finding.count == 27
    assert f"city: bands {CITY_BANDS:,} vs total {CITY_TOTAL:,}" in finding.message
    # Mühlburg: 17,481 − (2,732 + 11,301 + 3,116) = +332; Palmbach: 1,970 − 1,936 = +34
    assert "08, 2016: +332" in finding.items
    assert "25, 2016: +34" in finding.items
    gaps = sum(int(item.split(": ")[1].replace(",", "")) for item in finding.items)
    assert gaps == CITY_TOTAL - CITY_BANDS  # 7,016


def test_city_share_65_plus_is_the_published_one(population_study: Study):
    results = sqe_geo.run(population_study, accessibility=False)
    city = results.values["city"].iloc[0]
    assert abs(city["share_older"] - CITY_65_PLUS / CITY_TOTAL * 100) < 1e-9
    assert results.counts["city"].iloc[0]["total"] == CITY_TOTAL
    assert results.counts["city"].iloc[0]["older"] == CITY_65_PLUS


def test_per_quarter_values_by_hand(population_study: Study):
    results = sqe_geo.run(population_study, accessibility=False)
    quarter = results.values["quarter"]
    for qid, (total, young, working, older) in (("08", MUEHLBURG), ("25", PALMBACH)):
        row = quarter.loc[(qid, 2016)]
        assert row["population"] == total
        assert row["population_older"] == older
        assert abs(row["share_older"] - older / total * 100) < 1e-9
        # old-age dependency: 65+ per 100 aged 20–64
        assert abs(row["old_age_dependency"] - older / working * 100) < 1e-9
        assert abs(row["youth_dependency"] - young / working * 100) < 1e-9
    # Mühlburg 3,116 / 17,481 = 17.83 %, Palmbach 338 / 1,970 = 17.16 %
    assert round(quarter.loc[("08", 2016), "share_older"], 2) == 17.83
    assert round(quarter.loc[("25", 2016), "share_older"], 2) == 17.16


def test_planning_area_counts_are_sums_of_their_quarters(population_study: Study):
    results = sqe_geo.run(population_study, accessibility=False)
    by_quarter = results.counts["quarter"].xs(2016, level="year")
    by_area = results.counts["planning_area"].xs(2016, level="year")
    names = population_study.quarters.set_index("name")["quarter_id"]
    assert sorted(by_area.index) == sorted(PLANNING_AREAS)
    for area, members in PLANNING_AREAS.items():
        ids = names.loc[members].tolist()
        for column in ("total", "young", "working_age", "older"):
            assert by_area.loc[area, column] == by_quarter.loc[ids, column].sum(), (area, column)
    # West by hand: 17,481 + 11,833 + 10,878 + 9,639 and 3,116 + 3,088 + 2,415 + 1,911
    assert by_area.loc["West", "total"] == 49_831
    assert by_area.loc["West", "older"] == 10_530
    west = results.values["planning_area"].loc[("West", 2016), "share_older"]
    assert abs(west - 10_530 / 49_831 * 100) < 1e-9
    assert by_area["total"].sum() == CITY_TOTAL


def test_boundaries_as_quarters_with_names_as_keys(boundaries_study: Study):
    study = boundaries_study
    assert len(study.quarters) == 27
    assert study.quarters.set_index("quarter_id").loc["08", "name"] == "Mühlburg"
    # every name of the CSV is spelled exactly as in the boundaries: no loose matches
    for check in ("unmatched_keys", "normalised_key_match", "fuzzy_key_match"):
        assert not study.report.by_check(check), study.report.to_text()
    demo = study.demographics.set_index("quarter_id")
    assert demo["total"].sum() == CITY_TOTAL
    assert demo.loc["25", "older"] == PALMBACH[3]
    results = sqe_geo.run(study, accessibility=False)
    assert results.counts["planning_area"].loc[("Durlach und Bergdörfer", 2016), "total"] == (
        31_104 + 9_356 + 2_827 + 3_099 + 3_237 + 4_160 + 1_970
    )


def test_boundaries_geometry_check(boundaries_study: Study):
    # Observed: the official Stadtteil boundaries tile the city. 64 pairs of quarters
    # touch, with no shared area, and the union has a single interior ring of under
    # 0.01 m² (a digitising sliver where three boundaries meet). Both stay far below the
    # 100 m² tolerance, so load_study reports neither overlaps nor gaps.
    study = boundaries_study
    assert not study.report.by_check("quarter_overlap")
    assert not study.report.by_check("quarter_gap")
    geoms = study.quarters.geometry.values
    union = shapely.union_all(geoms)
    holes = [
        shapely.Polygon(ring)
        for part in shapely.get_parts(union)
        for ring in shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part)))
    ]
    assert len(holes) == 1
    assert 0 < holes[0].area < 0.01
    # with no tolerance at all the check does see the sliver: exactly one gap
    strict = QualityReport()
    check_quarter_geometry(study.quarters, strict, tolerance_m2=0.0)
    (gap,) = strict.by_check("quarter_gap")
    assert gap.count == 1 and gap.items[0].startswith("0 m² at ")
    assert not strict.by_check("quarter_overlap")
    assert study.quarters.geometry.area.sum() / 1e6 == pytest.approx(173.35, abs=0.05)
