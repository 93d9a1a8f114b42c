"""Real services and real address points: coverage per Stadtteil, straight-line fallback.

Reads ``../shared/karlsruhe`` in place (skipped with a reason when absent): the 27 real
Stadtteile, their published 2016 figures (a CSV derived from the GeoJSON's properties is
written to ``tmp_path``), OSM address points as residents' locations (each Stadtteil's
residents allocated evenly onto its address points) and the supermarkets of the OSM place
list. The place list does not cover the southern and eastern hill districts, and some hill
districts have no address point: both must be reported, not hidden.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import sqe_geo
from sqe_geo.access.accessibility import METHOD_STRAIGHT_LINE
from sqe_geo.stats.aggregate import CITY_ID

pytestmark = pytest.mark.realdata


def _demographics(karlsruhe: Path, folder: Path) -> Path:
    source = karlsruhe / "population" / "stadtteile_2016_bevoelkerung.geojson"
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    path = folder / "bevoelkerung_2016.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Stadtteil", "Einwohner", "u20", "a20", "a65"])
        for f in features:
            p = f["properties"]
            writer.writerow(
                [
                    p["Stadtteilname"],
                    p["Einwohner_2016"],
                    p["Alter_0-19_2016"],
                    p["Alter_20-64_2016"],
                    p["Alter_65+_2016"],
                ]
            )
    return path


#: The hill districts without a single address point in adresspunkte_osm.csv.
HILL_DISTRICTS = ("Stupferich", "Hohenwettersbach", "Grünwettersbach", "Palmbach")


def _run(karlsruhe: Path, folder: Path, extra: str = ""):
    demographics = _demographics(karlsruhe, folder)
    study = folder / "study.toml"
    study.write_text(
        f"""
name = "karlsruhe-real"
[quarters]
path = "{karlsruhe / "boundaries" / "stadtteile.geojson"}"
id_column = "Stadtteilnummer"
name_column = "Stadtteilname"
[demographics]
path = "{demographics}"
key_column = "Stadtteil"
year = 2016
total_column = "Einwohner"
[demographics.bands]
u20 = "0-19"
a20 = "20-64"
a65 = "65+"
[population_grid]
path = "{karlsruhe / "population" / "adresspunkte_osm.csv"}"
x_column = "lon"
y_column = "lat"
crs = "EPSG:4326"
[services]
path = "{karlsruhe / "services" / "orte_osm.json"}"
json_categories = {{ supermarket = "food" }}
[disclosure]
enabled = false
{extra}
""",
        encoding="utf-8",
    )
    return sqe_geo.run(sqe_geo.load_study(study))


@pytest.fixture(scope="module")
def results(karlsruhe: Path, tmp_path_factory: pytest.TempPathFactory):
    return _run(karlsruhe, tmp_path_factory.mktemp("ka-access"))


def test_supermarkets_are_the_food_services(results):
    services = results.study.services
    assert (services["category"] == "food").sum() == 100


def test_coverage_per_stadtteil_with_the_straight_line_fallback(results):
    values = results.values["quarter"].xs(2016, level="year")
    coverage = values["coverage_food_older"]
    assert len(coverage) == 27
    by_name = dict(zip(results.study.quarters["name"], coverage.to_numpy(), strict=True))
    located = {k: v for k, v in by_name.items() if k not in HILL_DISTRICTS}
    assert all(0 <= v <= 100 for v in located.values())
    # the inner city is better supplied than the hill districts the POI file does not cover
    assert by_name["Innenstadt-West"] > by_name["Wolfartsweier"]
    checks = {f.check: f for f in results.report.findings}
    assert METHOD_STRAIGHT_LINE in checks["straight_line_distances"].message
    assert results.distances[2016].attrs["method"] == METHOD_STRAIGHT_LINE
    assert "Luftlinie × Umwegfaktor 1,3" in results.catalog["coverage_food_older"].label_de


def test_residents_are_preserved_on_the_address_points(results):
    origins = results.origins[2016]
    assert origins["older"].sum() == pytest.approx(56_403)
    assert origins["total"].sum() == pytest.approx(311_635)
    city = results.counts["city"].loc[(CITY_ID, 2016)]
    assert city["origins_older"] == pytest.approx(56_403)


def test_gaps_in_the_real_files_are_reported(results):
    findings = {f.check: f for f in results.report.findings}
    # quarters the supermarket list does not reach (the hill districts)
    outside = findings["quarter_outside_service_extent"]
    names = " ".join(outside.items)
    assert outside.count >= 1
    assert any(hill in names for hill in ("Stupferich", "Palmbach", "Grünwettersbach"))
    # address points outside every Stadtteil (about 18 % lie outside the city)
    assert "targets_outside_quarters" in findings or "outside_quarters" in findings
    # the published bands do not add up to the total in any Stadtteil
    assert findings["bands_vs_total"].count == 27
    assert np.isfinite(results.values["city"].loc[(CITY_ID, 2016), "coverage_food_older"])


def test_hill_districts_without_address_points_are_not_computed(results):
    names = results.study.quarters.set_index("quarter_id")["name"]
    values = results.values["quarter"].xs(2016, level="year")
    status = results.status_of("quarter").xs(2016, level="year")
    hills = names[names.isin(HILL_DISTRICTS)].index
    assert len(hills) == 4
    access = [i.id for i in results.catalog if i.category == "food" and i.id != (
        "services_per_1000_older_food")]  # fmt: skip
    # no 0 %, no 100 %: no value at all, and the reason beside it
    assert values.loc[hills, access].isna().all().all()
    assert (status.loc[hills, access] == "not_located").all().all()
    others = names.index.difference(hills)
    assert (status.loc[others, access] == "").all().all()
    assert values.loc[others, "coverage_food_older"].notna().all()
    # ageing indicators and the supply count do not depend on locations: still computed
    assert values.loc[hills, ["share_older", "services_per_1000_older_food"]].notna().all().all()
    # the city is computed from the 23 located Stadtteile and says so
    counts = results.counts["quarter"].xs(2016, level="year").loc[others]
    expected = counts["within_food_older"].sum() / counts["counted_food_older"].sum() * 100
    city = results.values["city"].loc[(CITY_ID, 2016), "coverage_food_older"]
    assert city == pytest.approx(expected)
    assert results.status_of("city").loc[(CITY_ID, 2016), "coverage_food_older"] == "partial"
    finding = {f.check: f for f in results.report.findings}["accessibility_not_computed"]
    assert all(any(h in item for item in finding.items) for h in HILL_DISTRICTS)


def test_hill_districts_in_the_german_table(results):
    from sqe_geo.outputs.export import export_table

    table = export_table(results, "quarter", indicators=["coverage_food_older"])
    column = next(c for c in table.columns if "500 m" in c)
    marks = table.set_index("Name")[column]
    assert (marks[list(HILL_DISTRICTS)] == "n. b.").all()
    assert (marks.drop(list(HILL_DISTRICTS)) != "n. b.").all()


def test_hill_districts_spread_evenly_when_the_study_asks(karlsruhe, tmp_path):
    results = _run(karlsruhe, tmp_path, '[accessibility]\nunlocated_residents = "even_grid"')
    names = results.study.quarters.set_index("quarter_id")["name"]
    hills = names[names.isin(HILL_DISTRICTS)].index
    values = results.values["quarter"].xs(2016, level="year")
    status = results.status_of("quarter").xs(2016, level="year")
    assert values.loc[hills, "coverage_food_older"].notna().all()
    assert (status.loc[hills, "coverage_food_older"] == "approximation").all()
    assert results.status_of("city").loc[(CITY_ID, 2016), "coverage_food_older"] == (
        "approximation"
    )
    assert results.origins[2016]["older"].sum() == pytest.approx(56_403)
    checks = {f.check for f in results.report.findings}
    assert "residents_spread_even_grid" in checks
    assert "no_targets" not in checks
