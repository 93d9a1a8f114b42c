"""No confident value where the data has a gap: "nicht berechnet" with its reason.

A tiny study built by hand: three square quarters of 1 km, a street with a food store in
quarter A, a street island without a service in quarter B, and no residents' location at
all in quarter C. Every figure below is computed by hand.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

import sqe_geo
from sqe_geo.access.accessibility import access_leg_summary, cut_off_from_services
from sqe_geo.access.network import build_network
from sqe_geo.access.snapping import snap_points
from sqe_geo.outputs.export import export_table, gpkg_bytes
from sqe_geo.stats.aggregate import CITY_ID
from sqe_geo.stats.indicators import Indicator
from sqe_geo.stats.status import (
    APPROXIMATION,
    NOT_LOCATED,
    PARTIAL,
    UNREACHABLE_SHARE,
    level_status,
    quarter_status,
    status_note,
)

CRS = "EPSG:25832"
X0, Y0 = 456_000.0, 5_430_000.0


def at(x: float, y: float) -> tuple[float, float]:
    return X0 + x, Y0 + y


# A: 3 address points; (50, 900) is 400 m from the street, beyond the 300 m snap distance.
# B: 4 address points; three on the island street (1200..1900, y=500), one 100 m from the
#    end of the main street (1100, 510), so 3 of 4 are cut off from every food store.
# C: no address point at all.
POINTS = {
    "A": [(100, 510), (900, 510), (50, 900)],
    "B": [(1300, 510), (1500, 510), (1700, 510), (1100, 510)],
}


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("gap")
    quarters = gpd.GeoDataFrame(
        {"quarter_id": ["A", "B", "C"], "name": ["Aue", "Berg", "Chaussee"]},
        geometry=[
            box(*at(0, 0), *at(1000, 1000)),
            box(*at(1000, 0), *at(2000, 1000)),
            box(*at(0, 1000), *at(1000, 2000)),
        ],
        crs=CRS,
    )
    quarters.to_file(folder / "quarters.gpkg", engine="pyogrio")
    streets = gpd.GeoDataFrame(
        geometry=[
            LineString([at(0, 500), at(1000, 500)]),
            LineString([at(1200, 500), at(1900, 500)]),
        ],
        crs=CRS,
    )
    streets.to_file(folder / "streets.gpkg", engine="pyogrio")
    services = gpd.GeoDataFrame(
        {"service_id": ["s1"], "category": ["food"]},
        geometry=gpd.points_from_xy(*zip(at(500, 500), strict=True)),
        crs=CRS,
    )
    services.to_file(folder / "services.gpkg", engine="pyogrio")
    rows = [(X0 + x, Y0 + y) for pts in POINTS.values() for x, y in pts]
    pd.DataFrame(rows, columns=["x", "y"]).to_csv(folder / "points.csv", index=False)
    pd.DataFrame({"Quartier": ["A", "B", "C"], "u65": [270, 360, 180], "a65": [30, 40, 20]}).assign(
        Einwohner=lambda t: t["u65"] + t["a65"]
    ).to_csv(folder / "einwohner.csv", index=False)
    pd.DataFrame({"q": ["A", "B", "C"], "area": ["Nord", "Nord", "Süd"]}).to_csv(
        folder / "areas.csv", index=False
    )
    path = folder / "study.toml"
    path.write_text(
        """
name = "gap"
[quarters]
path = "quarters.gpkg"
[planning_areas]
path = "areas.csv"
quarter_column = "q"
area_column = "area"
[demographics]
path = "einwohner.csv"
key_column = "Quartier"
year = 2023
total_column = "Einwohner"
[demographics.bands]
u65 = "0-64"
a65 = "65+"
[population_grid]
path = "points.csv"
x_column = "x"
y_column = "y"
crs = "EPSG:25832"
[services]
path = "services.gpkg"
id_column = "service_id"
[network]
path = "streets.gpkg"
[accessibility]
max_unlocated_share = 0.4
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def results(study_file):
    return sqe_geo.run(sqe_geo.load_study(study_file))


def test_cut_off_and_access_legs_by_hand():
    net = build_network(
        gpd.GeoDataFrame(
            geometry=[
                LineString([at(0, 500), at(1000, 500)]),
                LineString([at(1200, 500), at(1900, 500)]),
            ],
            crs=CRS,
        )
    )
    xy = np.array([at(100, 510), at(50, 900), at(1300, 650), at(1100, 500)])
    services = gpd.GeoDataFrame(
        {"category": ["food"]}, geometry=gpd.points_from_xy([X0 + 500], [Y0 + 500]), crs=CRS
    )
    snap = snap_points(net, xy, max_snap_m=300)
    cut = cut_off_from_services(net, snap, services, ["food"], max_snap_m=300)
    # on the street; beyond 300 m; on the island; at the main street's end
    assert cut["food"].tolist() == [False, True, True, False]
    legs = access_leg_summary(snap)
    # legs of the three snapped points: 10, 150, 100 m
    assert legs == {"count": 3, "median_m": 100.0, "max_m": 150.0, "over_100_m": 1}


def test_quarter_status_by_hand():
    origins = pd.DataFrame(
        {"quarter_id": ["A", "A", "A", "B", "B"], "older": [10.0, 10.0, 10.0, 30.0, 10.0]}
    )
    cut = pd.DataFrame({"food": [False, False, True, True, False], "gp": [False] * 5})
    # A: 10 of 30 cut off (33 %); B: 30 of 40 (75 %); C has no origin at all
    status = quarter_status(
        origins, cut, not_located=["C"], max_unlocated_share=0.4, quarter_ids=["A", "B", "C"]
    )
    assert status.loc["A"].tolist() == ["", ""]
    assert status.loc["B"].tolist() == [UNREACHABLE_SHARE, ""]
    assert status.loc["C"].tolist() == [NOT_LOCATED, NOT_LOCATED]
    strict = quarter_status(origins, cut, max_unlocated_share=1 / 3 - 0.01)
    assert strict.loc["A", "food"] == UNREACHABLE_SHARE
    exact = quarter_status(origins, cut, max_unlocated_share=1 / 3)
    assert exact.loc["A", "food"] == ""  # "more than" the share, not "at least"
    approx = quarter_status(origins, cut, approximated=["A", "B"], max_unlocated_share=0.4)
    assert approx.loc["A"].tolist() == [APPROXIMATION, APPROXIMATION]
    assert approx.loc["B"].tolist() == [UNREACHABLE_SHARE, APPROXIMATION]


def test_roll_up_of_the_status_by_hand():
    ind = Indicator(
        "coverage_food_older",
        "share",
        {"numerator": "within_food_older", "denominator": "counted_food_older"},
        "x",
        "x",
        category="food",
    )
    ageing = Indicator(
        "share_older", "share", {"numerator": "older", "denominator": "total"}, "", ""
    )
    quarter = pd.DataFrame(
        {"food": ["", UNREACHABLE_SHARE, NOT_LOCATED, APPROXIMATION]},
        index=pd.MultiIndex.from_product([["A", "B", "C", "D"], [2023]]),
    )
    area_of = pd.Series({"A": "Nord", "B": "Nord", "C": "Süd", "D": "Ost"})
    index = {
        "quarter": pd.MultiIndex.from_product([["A", "B", "C", "D"], [2023]]),
        "planning_area": pd.MultiIndex.from_product([["Nord", "Süd", "Ost"], [2023]]),
        "city": pd.MultiIndex.from_product([[CITY_ID], [2023]]),
    }
    status = level_status([ind, ageing], quarter, area_of, index, CITY_ID)
    assert status["quarter"]["coverage_food_older"].tolist() == [
        "", UNREACHABLE_SHARE, NOT_LOCATED, APPROXIMATION
    ]  # fmt: skip
    assert status["planning_area"]["coverage_food_older"].tolist() == [
        PARTIAL, NOT_LOCATED, APPROXIMATION
    ]  # fmt: skip
    assert status["city"]["coverage_food_older"].tolist() == [PARTIAL]
    assert (status["city"]["share_older"] == "").all()


def test_the_study_by_hand(results):
    values = results.values["quarter"].xs(2023, level="year")
    status = results.status_of("quarter").xs(2023, level="year")
    # A: 1 of 3 points (10 of 30 older) beyond the snap distance, 33 % <= 40 %: computed;
    # the two others walk 10 m + 400 m = 410 m <= 500 m: 20 of 30 within
    assert status.loc["A", "coverage_food_older"] == ""
    assert values.loc["A", "coverage_food_older"] == pytest.approx(200 / 3)
    assert values.loc["A", "unreachable_food_older"] == pytest.approx(10)
    # B: 3 of 4 points on the island (30 of 40 older): not computed, never 0 %
    assert status.loc["B", "coverage_food_older"] == UNREACHABLE_SHARE
    assert np.isnan(values.loc["B", "coverage_food_older"])
    assert np.isnan(values.loc["B", "median_distance_food_older"])
    # C: no address point: not located
    assert status.loc["C", "coverage_food_older"] == NOT_LOCATED
    assert np.isnan(values.loc["C", "coverage_food_older"])
    # ageing figures do not depend on locations
    assert status.loc["C", "share_older"] == ""
    assert values.loc["C", "share_older"] == pytest.approx(10.0)
    # Nord = A alone (B left out), marked partial; Süd = C alone: not computed; city = A
    areas = results.values["planning_area"].xs(2023, level="year")
    area_status = results.status_of("planning_area").xs(2023, level="year")
    assert areas.loc["Nord", "coverage_food_older"] == pytest.approx(200 / 3)
    assert area_status.loc["Nord", "coverage_food_older"] == PARTIAL
    assert np.isnan(areas.loc["Süd", "coverage_food_older"])
    assert area_status.loc["Süd", "coverage_food_older"] == NOT_LOCATED
    city = results.values["city"].loc[(CITY_ID, 2023)]
    assert city["coverage_food_older"] == pytest.approx(200 / 3)
    assert city["median_distance_food_older"] == pytest.approx(410)
    assert results.status_of("city").loc[(CITY_ID, 2023), "coverage_food_older"] == PARTIAL
    findings = {f.check: f for f in results.report.findings}
    items = " ".join(findings["accessibility_not_computed"].items)
    assert "Berg" in items and "Chaussee" in items and "Aue" not in items
    legs = findings["access_legs"]
    assert "longer than 100 m" in legs.message


def test_the_marker_in_every_table(results):
    german = export_table(results, "quarter", indicators=["coverage_food_older", "share_older"])
    column = next(c for c in german.columns if "500 m" in c)
    by_name = german.set_index("Name")
    assert by_name.loc["Berg", column] == "n. b."
    assert by_name.loc["Chaussee", column] == "n. b."
    assert by_name.loc["Aue", column] == pytest.approx(66.7)
    assert "n. b. = nicht berechnet (zu viele Ältere" in by_name.loc["Berg", "Status"]
    assert "Einwohner nicht verortet" in by_name.loc["Chaussee", "Status"]
    assert by_name.loc["Aue", "Status"] == ""
    areas = export_table(results, "planning_area", indicators=["coverage_food_older"])
    assert areas.set_index("Name").loc["Nord", "Status"] == status_note([PARTIAL])
    plain = export_table(results, "quarter", labels=False, withheld=None)
    plain = plain.set_index("unit_id")
    assert np.isnan(plain.loc["B", "coverage_food_older"])
    assert plain.loc["B", "status_coverage_food_older"] == UNREACHABLE_SHARE
    assert plain.loc["A", "status_coverage_food_older"] == ""
    assert "status_share_older" not in plain.columns
    english = export_table(results, "quarter", indicators=["coverage_food_older"], language="en")
    assert "n/c" in english.iloc[:, -2].tolist()


def test_not_computed_wins_over_withheld(results):
    # a cell that disclosure control withheld and that is not computed shows the reason
    suppressed = {k: v.copy() for k, v in results.suppressed.items()}
    suppressed["quarter"].loc[("C", 2023), "coverage_food_older"] = True
    suppressed["quarter"].loc[("A", 2023), "coverage_food_older"] = True
    both = dataclasses.replace(results, suppressed=suppressed)
    table = export_table(both, "quarter", indicators=["coverage_food_older"])
    column = next(c for c in table.columns if "500 m" in c)
    marks = table.set_index("Name")[column]
    assert marks["Chaussee"] == "n. b."
    assert marks["Aue"] == "."


def test_geopackage_carries_the_status(results, tmp_path):
    path = tmp_path / "x.gpkg"
    path.write_bytes(gpkg_bytes(results, year=2023))
    layer = gpd.read_file(path, layer="quartiere", engine="pyogrio").set_index("unit_id")
    assert layer.loc["B", "status_coverage_food_older"] == UNREACHABLE_SHARE
    assert np.isnan(layer.loc["B", "coverage_food_older"])


def test_maps_grey_with_the_reason_in_the_legend(results):
    from sqe_geo.outputs import classify, map_data, maps

    layer = map_data.quarter_layer(results, "coverage_food_older", 2023).set_index("unit_id")
    assert layer.loc["C", "value_text"] == "nicht berechnet (Einwohner nicht verortet)"
    assert layer.loc["B", "status"] == UNREACHABLE_SHARE
    assert np.isnan(layer.loc["B", "value"])
    assert layer.loc["A", "value_text"] == "66,7 %"
    base = maps.BaseMap(tiles=None)
    page = maps.map_html(maps.choropleth(results, "coverage_food_older", 2023, base=base))
    page = page.decode("utf-8")
    assert "nicht berechnet (Einwohner nicht verortet)" in page
    assert "nicht berechnet (zu viele Ältere ohne Anbindung ans Wegenetz)" in page
    assert classify.NOT_COMPUTED_COLOR in page
    assert "Entfernungen: Netzdistanz" in page
    ind = results.catalog["coverage_food_older"]
    assert map_data.value_text(12.34, ind, status=PARTIAL) == (
        "12,3 % (nur aus den berechneten Quartieren)"
    )
    shown = map_data.value_text(float("nan"), ind, withheld=True, status=NOT_LOCATED, marks=True)
    assert shown == "n. b."
    assert map_data.value_text(5.0, ind, withheld=True, marks=True) == "."


def test_profile_and_comparison_show_the_marker(results):
    from sqe_geo.outputs.compare import comparison, display_table
    from sqe_geo.outputs.report_html import quarter_profile

    profile = quarter_profile(results, "C", 2023)
    table = next(iter(profile.accessibility.values())).set_index("Indikator")
    row = next(i for i in table.index if "Anteil" in i and "500 m" in i)
    assert table.loc[row, "Quartier"] == "n. b."
    assert table.loc[row, "Planungsraum"] == "n. b."  # Süd holds only C
    shown = display_table(results, comparison(results, 2023, ["coverage_food_older"]))
    assert shown.loc[0, "Süd"] == "n. b."
    assert shown.loc[0, "Nord"].startswith("66,7")


def test_one_category_with_several_thresholds(study_file):
    text = study_file.read_text(encoding="utf-8").replace(
        "[network]",
        "[services.categories.food]\nthreshold_m = 300\nmore_thresholds_m = [1000]\n[network]",
    )
    path = study_file.with_name("study_thresholds.toml")
    path.write_text(text, encoding="utf-8")
    results = sqe_geo.run(sqe_geo.load_study(path))
    values = results.values["quarter"].xs(2023, level="year")
    status = results.status_of("quarter").xs(2023, level="year")
    # A walks 410 m: none within 300 m, 20 of 30 within 1,000 m
    assert values.loc["A", "coverage_food_older"] == pytest.approx(0.0)
    assert values.loc["A", "coverage_food_1000m_older"] == pytest.approx(200 / 3)
    ind = results.catalog["coverage_food_1000m_older"]
    assert ind.category == "food" and "1000 m" in ind.label_de
    # the further threshold is not computed where the category is not
    assert status.loc["B", "coverage_food_1000m_older"] == UNREACHABLE_SHARE
    assert np.isnan(values.loc["B", "coverage_food_1000m_older"])
    city = results.values["city"].loc[(CITY_ID, 2023), "coverage_food_1000m_older"]
    assert city == pytest.approx(200 / 3)


def test_a_service_value_claimed_by_two_categories_is_an_error(study_file):
    from sqe_geo._errors import StudyConfigError

    text = study_file.read_text(encoding="utf-8").replace(
        "[network]",
        '[services.categories.food]\nvalues = ["Bäcker", "Markt"]\n'
        '[services.categories.meeting_place]\nvalues = ["Markt"]\n[network]',
    )
    path = study_file.with_name("study_twice.toml")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        StudyConfigError, match="'Markt' is claimed by two categories, 'food' and 'meeting_place'"
    ):
        sqe_geo.load_study(path)


def test_straight_line_is_named_in_every_label(study_file):
    text = study_file.read_text(encoding="utf-8").replace('[network]\npath = "streets.gpkg"\n', "")
    path = study_file.with_name("study_straight.toml")
    path.write_text(text, encoding="utf-8")
    results = sqe_geo.run(sqe_geo.load_study(path))
    ind = results.catalog["coverage_food_older"]
    assert ind.label_de.endswith("(Luftlinie × Umwegfaktor 1,3)")
    assert ind.label_en.endswith("(straight line × detour factor 1.3)")
    assert "share_older" in results.catalog
    assert "Luftlinie" not in results.catalog["share_older"].label_de
    assert "Luftlinie" not in results.catalog["services_per_1000_older_food"].label_de
    german = export_table(results, "quarter", indicators=["coverage_food_older"])
    assert any("Luftlinie × Umwegfaktor 1,3" in c for c in german.columns)
    definitions = results.catalog.definitions("de").set_index("id")
    assert "Luftlinie" in definitions.loc["coverage_food_older", "description"]
    assert results.parameters["distance method"] == "Luftlinie × Umwegfaktor (1.3)"
    assert "access legs (to the network)" not in results.parameters


def test_network_method_and_access_legs_in_the_metadata(results):
    from sqe_geo.outputs.export_sheets import metadata_frame

    meta = dict(metadata_frame(results, "de").itertuples(index=False))
    assert meta["Entfernungsmethode"] == "Netzdistanz"
    # legs of the 6 snapped address points: 10, 10 (A), 10, 10, 10 (B island), 100.5 (B)
    assert meta["Wege zum Wegenetz"] == (
        "6 Wohnorte; Median 10 m, Maximum 100 m, 1 länger als 100 m"
    )
    english = dict(metadata_frame(results, "en").itertuples(index=False))
    assert "6 locations; median 10 m, maximum 100 m, 1 longer than 100 m" in english.values()
    assert "Luftlinie" not in results.catalog["coverage_food_older"].label_de


def test_without_residents_locations_every_quarter_is_an_approximation(study_file):
    text = study_file.read_text(encoding="utf-8").replace(
        '[population_grid]\npath = "points.csv"\nx_column = "x"\ny_column = "y"\n'
        'crs = "EPSG:25832"\n',
        "",
    )
    path = study_file.with_name("study_no_grid.toml")
    path.write_text(text, encoding="utf-8")
    results = sqe_geo.run(sqe_geo.load_study(path))
    status = results.status_of("quarter").xs(2023, level="year")
    # residents spread over 100 m cells: C has cells now, B's island cells are cut off
    assert status.loc["A", "coverage_food_older"] == APPROXIMATION
    assert status.loc["C", "coverage_food_older"] in (APPROXIMATION, UNREACHABLE_SHARE)
    assert status.loc["B", "coverage_food_older"] == UNREACHABLE_SHARE
    assert (status["share_older"] == "").all()
    assert "residents_spread_evenly" in {f.check for f in results.report.findings}


def test_printed_profile_explains_the_marker(results):
    from sqe_geo.outputs.report_html import profile_html

    page = profile_html(results, "C", 2023)
    assert "n. b." in page
    assert "n. b. = nicht berechnet (Einwohner nicht verortet)" in page
