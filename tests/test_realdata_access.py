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
from sqe_geo.accessibility import METHOD_STRAIGHT_LINE
from sqe_geo.aggregate import CITY_ID

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


@pytest.fixture(scope="module")
def results(karlsruhe: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ka-access")
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
""",
        encoding="utf-8",
    )
    return sqe_geo.run(sqe_geo.load_study(study))


def test_supermarkets_are_the_food_services(results):
    services = results.study.services
    assert (services["category"] == "food").sum() == 100


def test_coverage_per_stadtteil_with_the_straight_line_fallback(results):
    values = results.values["quarter"].xs(2016, level="year")
    coverage = values["coverage_food_older"]
    assert len(coverage) == 27
    assert coverage.between(0, 100).all()
    # the inner city is better supplied than the hill districts the POI file does not cover
    by_name = dict(zip(results.study.quarters["name"], coverage.to_numpy(), strict=True))
    assert by_name["Innenstadt-West"] > by_name["Stupferich"]
    checks = {f.check: f for f in results.report.findings}
    assert METHOD_STRAIGHT_LINE in checks["straight_line_distances"].message
    assert results.distances[2016].attrs["method"] == METHOD_STRAIGHT_LINE


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
